/** The group-membership table of `group-store.ts`. */
import type { Migration } from "./migration.js";

/**
 * Migration 7 (listed in `migrations.ts`). It has shipped: never edit it, add a later version
 * instead. Same table and meaning in both dialects.
 */
export const GROUPS_MIGRATION: Migration = {
  version: 7,
  name: "group members",
  sqlite: `
    CREATE TABLE group_members (
      pool_id TEXT NOT NULL,
      group_name TEXT NOT NULL,
      identity_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (pool_id, group_name, identity_id)
    ) STRICT;
    CREATE INDEX group_members_by_identity ON group_members (identity_id, pool_id);
  `,
  postgres: `
    CREATE TABLE group_members (
      pool_id text COLLATE "C" NOT NULL,
      group_name text COLLATE "C" NOT NULL,
      identity_id text COLLATE "C" NOT NULL,
      created_at bigint NOT NULL,
      PRIMARY KEY (pool_id, group_name, identity_id)
    );
    CREATE INDEX group_members_by_identity ON group_members (identity_id, pool_id);
  `,
};
