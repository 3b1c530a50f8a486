/**
 * Migration 6, server keys, in both dialects side by side so the two stay alike: the queries on
 * the table are written once in `sql-keys.ts`.
 */
import type { Migration } from "./migration.js";

/**
 * Migration 6 (listed in `migrations.ts`). It has shipped: never edit it, add a later version
 * instead. Same table and meaning in both dialects; `kind` is free text so new kinds (user-pool
 * keys) need no migration.
 */
export const KEYS_MIGRATION: Migration = {
  version: 6,
  name: "server keys",
  sqlite: `
    CREATE TABLE server_keys (
      kind TEXT NOT NULL,
      key_id TEXT NOT NULL,
      sealed TEXT NOT NULL,
      generation INTEGER NOT NULL UNIQUE,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (kind, key_id)
    ) STRICT;
  `,
  postgres: `
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
