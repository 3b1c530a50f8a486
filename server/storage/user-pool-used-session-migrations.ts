/**
 * Migration 14, the challenge sessions already answered (an SRP SECRET_BLOCK, a CUSTOM_CHALLENGE
 * Session): one row per answered session, keyed by the pool and the session's hash, so that the
 * insert of a second answer to the same session fails on the key whichever instance receives it.
 * A row is needed only until its session expires (then the session no longer opens anyway), and
 * the purge schedule deletes it after that. No foreign key to a user: an SRP block of a name that
 * does not exist is answered (and refused) like any other. Queries in `sql-user-pool-used-sessions.ts`.
 */
import type { Migration } from "./migration.js";

/** Migration 14. It ships once merged: never edit it, add a later version instead. */
export const USER_POOL_USED_SESSIONS_MIGRATION: Migration = {
  version: 14,
  name: "user pool used challenge sessions",
  sqlite: `
    CREATE TABLE user_pool_used_sessions (
      pool_id TEXT NOT NULL,
      session_hash TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (pool_id, session_hash)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX user_pool_used_sessions_expiry ON user_pool_used_sessions (expires_at);
  `,
  postgres: `
    CREATE TABLE user_pool_used_sessions (
      pool_id text COLLATE "C" NOT NULL,
      session_hash text COLLATE "C" NOT NULL,
      expires_at bigint NOT NULL,
      PRIMARY KEY (pool_id, session_hash)
    );
    CREATE INDEX user_pool_used_sessions_expiry ON user_pool_used_sessions (expires_at);
  `,
};
