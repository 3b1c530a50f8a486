/**
 * Migration 1, the initial schema: pools, identities, datasets, their records and remembered push
 * answers, in both dialects side by side. The queries on these tables are written once in
 * `sql-datasets.ts` and `sql-pools.ts`.
 */
import type { Migration } from "./migration.js";

/**
 * Migration 1. It has shipped: never edit it, add a later version instead. The DDL keeps the
 * indentation it shipped with, since SQLite stores each statement's text in its schema.
 *
 * SQLite:
 * - STRICT tables, so a value of the wrong type is an error instead of being stored as-is, and
 *   numbers, booleans (0/1) and text come back exactly as written.
 * - Keys use the default BINARY collation: on a UTF-8 database that is Unicode code point order,
 *   the same order PostgreSQL gives with COLLATE "C".
 * - WITHOUT ROWID for the small rows with natural composite keys (pools, identities, datasets):
 *   one b-tree instead of table + unique index. `records` and `mutations` keep a rowid: a value
 *   may be up to 1 MB and a push answer embeds records, and SQLite advises against WITHOUT ROWID
 *   for rows larger than about a twentieth of a page.
 * - `records` references its dataset row with a deferred foreign key: a push may write records
 *   before the dataset row, but no transaction can commit records of a dataset that has no row
 *   (the row holds the sync count every record's `sync_count` is taken from).
 * - `records_by_sync_count` serves delta pulls: `WHERE identity_id, dataset AND (sync_count, key)
 *   > (…) ORDER BY sync_count, key` is a range scan of it.
 *
 * PostgreSQL (the same tables and meaning):
 * - Every identifier and key column is `COLLATE "C"`: byte order of UTF-8, which is Unicode code
 *   point order, as SQLite's BINARY gives; names list "Alpha" before "alpha" on any server locale.
 * - Epoch ms, counts and sizes are `bigint` (the pool parses int8 to numbers), flags `boolean`,
 *   pool settings `jsonb` (validated JSON; key order is not kept, which no reader relies on).
 * - `records` is keyed by (identity, dataset, sha256 of key), not by the key: a btree entry holds
 *   at most 2704 bytes and a legal key is up to 3072. For the same reason the delta-pull index stops
 *   at `sync_count`; the key order within one sync count is a small in-memory (incremental) sort.
 * - `records` references its dataset row with a deferred foreign key, as on SQLite: a push may
 *   write records before the row, but cannot commit records of a dataset that has no row.
 */
export const INITIAL_MIGRATION: Migration = {
  version: 1,
  name: "initial schema",
  sqlite: `
      CREATE TABLE pools (
        id TEXT NOT NULL PRIMARY KEY,
        settings TEXT NOT NULL CHECK (json_valid(settings)),
        created_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE identities (
        id TEXT NOT NULL PRIMARY KEY,
        pool_id TEXT NOT NULL,
        secret_hash TEXT,
        created_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE datasets (
        identity_id TEXT NOT NULL,
        name TEXT NOT NULL,
        sync_count INTEGER NOT NULL,
        record_count INTEGER NOT NULL,
        size_bytes INTEGER NOT NULL,
        conflict_strategy TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_modified_at INTEGER NOT NULL,
        last_modified_by TEXT,
        deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
        deleted_at_sync_count INTEGER,
        PRIMARY KEY (identity_id, name)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE records (
        identity_id TEXT NOT NULL,
        dataset TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT,
        kind TEXT NOT NULL,
        sync_count INTEGER NOT NULL,
        clock TEXT NOT NULL,
        last_modified_by TEXT NOT NULL,
        last_modified_at INTEGER NOT NULL,
        device_last_modified_at INTEGER NOT NULL,
        deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
        UNIQUE (identity_id, dataset, key),
        FOREIGN KEY (identity_id, dataset) REFERENCES datasets (identity_id, name)
          DEFERRABLE INITIALLY DEFERRED
      ) STRICT;
      CREATE INDEX records_by_sync_count ON records (identity_id, dataset, sync_count, key);

      CREATE TABLE mutations (
        identity_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        mutation_id TEXT NOT NULL,
        dataset TEXT NOT NULL,
        result_json TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (identity_id, device_id, mutation_id)
      ) STRICT;
      CREATE INDEX mutations_by_created_at ON mutations (created_at);
    `,
  postgres: `
      CREATE TABLE pools (
        id text COLLATE "C" NOT NULL PRIMARY KEY,
        settings jsonb NOT NULL,
        created_at bigint NOT NULL
      );

      CREATE TABLE identities (
        id text COLLATE "C" NOT NULL PRIMARY KEY,
        pool_id text COLLATE "C" NOT NULL,
        secret_hash text,
        created_at bigint NOT NULL
      );

      CREATE TABLE datasets (
        identity_id text COLLATE "C" NOT NULL,
        name text COLLATE "C" NOT NULL,
        sync_count bigint NOT NULL,
        record_count bigint NOT NULL,
        size_bytes bigint NOT NULL,
        conflict_strategy text NOT NULL,
        created_at bigint NOT NULL,
        last_modified_at bigint NOT NULL,
        last_modified_by text COLLATE "C",
        deleted boolean NOT NULL,
        deleted_at_sync_count bigint,
        PRIMARY KEY (identity_id, name)
      );

      CREATE TABLE records (
        identity_id text COLLATE "C" NOT NULL,
        dataset text COLLATE "C" NOT NULL,
        key_hash bytea NOT NULL,
        key text COLLATE "C" NOT NULL,
        value text,
        kind text NOT NULL,
        sync_count bigint NOT NULL,
        clock text COLLATE "C" NOT NULL,
        last_modified_by text COLLATE "C" NOT NULL,
        last_modified_at bigint NOT NULL,
        device_last_modified_at bigint NOT NULL,
        deleted boolean NOT NULL,
        PRIMARY KEY (identity_id, dataset, key_hash),
        FOREIGN KEY (identity_id, dataset) REFERENCES datasets (identity_id, name)
          DEFERRABLE INITIALLY DEFERRED
      );
      CREATE INDEX records_by_sync_count ON records (identity_id, dataset, sync_count);

      CREATE TABLE mutations (
        identity_id text COLLATE "C" NOT NULL,
        device_id text COLLATE "C" NOT NULL,
        mutation_id text COLLATE "C" NOT NULL,
        dataset text COLLATE "C" NOT NULL,
        result_json text NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (identity_id, device_id, mutation_id)
      );
      CREATE INDEX mutations_by_created_at ON mutations (created_at);
    `,
};
