/**
 * Migration 4, logins, identity status and dataset merges, in both dialects side by side so the two
 * stay alike: the queries on them are written once in `sql-identities.ts`. It has shipped: never
 * edit it, add a later version instead.
 * - `identities` gains its status: `disabled_at` (an admin disabled it, or it was merged away) and
 *   `merged_into` (the identity that now answers for it).
 * - `logins` is keyed (pool, provider, subject): one login reaches one identity of a pool, and two
 *   first sign-ins racing with the same login cannot both create an identity.
 * - `dataset_merges` remembers the conflict copies merges made, for `mergedDatasetNames`.
 */
import type { Migration } from "./migration.js";

/** Version 4: logins, identity status, dataset merges. */
export const IDENTITY_MIGRATION: Migration = {
  version: 4,
  name: "logins, identity status, dataset merges",
  sqlite: `
    ALTER TABLE identities ADD COLUMN disabled_at INTEGER;
    ALTER TABLE identities ADD COLUMN merged_into TEXT;
    CREATE INDEX identities_by_pool ON identities (pool_id, id);

    CREATE TABLE logins (
      pool_id TEXT NOT NULL,
      provider TEXT NOT NULL,
      subject TEXT NOT NULL,
      identity_id TEXT NOT NULL REFERENCES identities (id),
      linked_at INTEGER NOT NULL,
      PRIMARY KEY (pool_id, provider, subject)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX logins_by_identity ON logins (identity_id, provider, subject);

    CREATE TABLE dataset_merges (
      identity_id TEXT NOT NULL,
      dataset TEXT NOT NULL,
      sync_count INTEGER NOT NULL,
      merged_dataset TEXT NOT NULL,
      source_identity_id TEXT NOT NULL,
      merged_at INTEGER NOT NULL,
      PRIMARY KEY (identity_id, dataset, sync_count, merged_dataset)
    ) STRICT, WITHOUT ROWID;
  `,
  postgres: `
    ALTER TABLE identities ADD COLUMN disabled_at bigint;
    ALTER TABLE identities ADD COLUMN merged_into text COLLATE "C";
    CREATE INDEX identities_by_pool ON identities (pool_id, id);

    CREATE TABLE logins (
      pool_id text COLLATE "C" NOT NULL,
      provider text COLLATE "C" NOT NULL,
      subject text COLLATE "C" NOT NULL,
      identity_id text COLLATE "C" NOT NULL REFERENCES identities (id),
      linked_at bigint NOT NULL,
      PRIMARY KEY (pool_id, provider, subject)
    );
    CREATE INDEX logins_by_identity ON logins (identity_id, provider, subject);

    CREATE TABLE dataset_merges (
      identity_id text COLLATE "C" NOT NULL,
      dataset text COLLATE "C" NOT NULL,
      sync_count bigint NOT NULL,
      merged_dataset text COLLATE "C" NOT NULL,
      source_identity_id text COLLATE "C" NOT NULL,
      merged_at bigint NOT NULL,
      PRIMARY KEY (identity_id, dataset, sync_count, merged_dataset)
    );
  `,
};
