/**
 * Migration 6, server keys, in both dialects side by side so the two stay alike: the queries on
 * the table are written once in `sql-keys.ts`.
 */
import type { PostgresMigration } from "./postgres-migrations.js";
import type { SqliteMigration } from "./sqlite-migrations.js";

/**
 * Migration 6 for SQLite (listed in `sqlite-migrations.ts`). It ships once merged: never edit it, add a later
 * version instead. Same table and meaning as PostgreSQL's version 6.
 */
export const SQLITE_KEYS_MIGRATION: SqliteMigration = {
  version: 6,
  name: "server keys",
  sql: `
    CREATE TABLE server_keys (
      kind TEXT NOT NULL,
      key_id TEXT NOT NULL,
      sealed TEXT NOT NULL,
      generation INTEGER NOT NULL UNIQUE,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (kind, key_id)
    ) STRICT;
  `,
};

/**
 * Migration 6 for PostgreSQL (listed in `postgres-migrations.ts`). It ships once merged: never edit it, add a
 * later version instead. `kind` is free text so new kinds (user-pool keys) need no migration.
 */
export const POSTGRES_KEYS_MIGRATION: PostgresMigration = {
  version: 6,
  name: "server keys",
  sql: `
    CREATE TABLE server_keys (
      kind text COLLATE "C" NOT NULL,
      key_id text COLLATE "C" NOT NULL,
      sealed text NOT NULL,
      generation bigint NOT NULL UNIQUE,
      created_at bigint NOT NULL,
      PRIMARY KEY (kind, key_id)
    );
  `,
};
