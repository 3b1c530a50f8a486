/**
 * Migration 11, the user pool's passkeys (Cognito's StartWebAuthnRegistration and the WEB_AUTHN
 * sign-in challenge): one row per registered credential, keyed by its id within the pool, with the
 * COSE public key, the signature counter last seen and what ListWebAuthnCredentials shows. Both
 * dialects side by side; the queries are in `sql-user-pool-webauthn.ts`.
 *
 * Credentials cascade from their user (DeleteUser). The index by (pool, sub) serves a user's list,
 * read at every passkey sign-in and registration.
 */
import type { Migration } from "./migration.js";

/** Migration 11. It ships once merged: never edit it, add a later version instead. */
export const USER_POOL_WEBAUTHN_MIGRATION: Migration = {
  version: 11,
  name: "user pool passkeys",
  sqlite: `
    CREATE TABLE user_pool_webauthn_credentials (
      pool_id TEXT NOT NULL,
      credential_id TEXT NOT NULL,
      sub TEXT NOT NULL,
      public_key TEXT NOT NULL,
      sign_count INTEGER NOT NULL,
      transports TEXT NOT NULL,
      friendly_name TEXT NOT NULL,
      relying_party_id TEXT NOT NULL,
      authenticator_attachment TEXT,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER,
      PRIMARY KEY (pool_id, credential_id),
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;

    CREATE INDEX user_pool_webauthn_credentials_by_sub ON user_pool_webauthn_credentials (pool_id, sub, credential_id);
  `,
  postgres: `
    CREATE TABLE user_pool_webauthn_credentials (
      pool_id text COLLATE "C" NOT NULL,
      credential_id text COLLATE "C" NOT NULL,
      sub text COLLATE "C" NOT NULL,
      public_key text NOT NULL,
      sign_count bigint NOT NULL,
      transports text NOT NULL,
      friendly_name text NOT NULL,
      relying_party_id text NOT NULL,
      authenticator_attachment text,
      created_at bigint NOT NULL,
      last_used_at bigint,
      PRIMARY KEY (pool_id, credential_id),
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    );

    CREATE INDEX user_pool_webauthn_credentials_by_sub ON user_pool_webauthn_credentials (pool_id, sub, credential_id);
  `,
};
