/**
 * Migration 13, a user's email and SMS MFA (Cognito's EmailMfaSettings and SMSMfaSettings): whether
 * each is enabled and which MFA the user prefers, when it is one of them. TOTP keeps its own row
 * (`user_pool_totp`, migration 9), whose `preferred` the user-pool code clears when another factor
 * becomes preferred. The row cascades from the user. Queries in `sql-user-pool-mfa.ts`.
 */
import type { Migration } from "./migration.js";

/** Migration 13. It ships once merged: never edit it, add a later version instead. */
export const USER_POOL_MFA_OPTIONS_MIGRATION: Migration = {
  version: 13,
  name: "user pool email and sms mfa",
  sqlite: `
    CREATE TABLE user_pool_mfa_options (
      pool_id TEXT NOT NULL,
      sub TEXT NOT NULL,
      email_enabled INTEGER NOT NULL,
      sms_enabled INTEGER NOT NULL,
      preferred TEXT,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (pool_id, sub),
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;
  `,
  postgres: `
    CREATE TABLE user_pool_mfa_options (
      pool_id text COLLATE "C" NOT NULL,
      sub text COLLATE "C" NOT NULL,
      email_enabled integer NOT NULL,
      sms_enabled integer NOT NULL,
      preferred text,
      updated_at bigint NOT NULL,
      PRIMARY KEY (pool_id, sub),
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    );
  `,
};
