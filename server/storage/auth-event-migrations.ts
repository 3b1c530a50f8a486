/**
 * Migration 12, the user pool's audit log (AdminListUserAuthEvents): one row per auth event of a
 * user, keyed so a user's events read newest first from the primary key alone. No foreign key to
 * the user: an audit log keeps the events of a deleted user. Both dialects side by side; the
 * queries are in `sql-auth-events.ts`.
 */
import type { Migration } from "./migration.js";

/** Migration 12. It ships once merged: never edit it, add a later version instead. */
export const AUTH_EVENTS_MIGRATION: Migration = {
  version: 12,
  name: "user pool auth events",
  sqlite: `
    CREATE TABLE user_pool_auth_events (
      pool_id TEXT NOT NULL,
      sub TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      event_id TEXT NOT NULL,
      data TEXT NOT NULL,
      PRIMARY KEY (pool_id, sub, created_at, event_id)
    ) STRICT, WITHOUT ROWID;
  `,
  postgres: `
    CREATE TABLE user_pool_auth_events (
      pool_id text COLLATE "C" NOT NULL,
      sub text COLLATE "C" NOT NULL,
      created_at bigint NOT NULL,
      event_id text COLLATE "C" NOT NULL,
      data text NOT NULL,
      PRIMARY KEY (pool_id, sub, created_at, event_id)
    );
  `,
};
