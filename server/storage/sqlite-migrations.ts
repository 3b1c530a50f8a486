/**
 * The SQLite schema as an ordered list of versioned migrations, kept in TypeScript so the `tsc`
 * build carries them (no loose .sql files to copy next to `dist/`). Append new migrations with
 * the next version; never edit one that has shipped, since databases in the field already ran it.
 */
import type BetterSqlite3 from "better-sqlite3";
import { SQLITE_DEVICES_MIGRATION } from "./device-migrations.js";
import { SQLITE_GROUPS_MIGRATION } from "./group-store.js";
import { IDENTITY_MIGRATION } from "./identity-migrations.js";
import { SQLITE_KEYS_MIGRATION } from "./key-migrations.js";
import { SQLITE_LEASES_MIGRATION } from "./lease-migrations.js";
import { STREAM_MIGRATION } from "./stream-migrations.js";
import { USER_POOL_MIGRATION } from "./user-pool-migrations.js";

/** One schema step. `sql` may hold several statements; it runs inside the migration transaction. */
export interface SqliteMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Design notes for version 1:
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
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
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
  },
  // Version 2: push devices and their dataset subscriptions (`device-migrations.ts`).
  SQLITE_DEVICES_MIGRATION,
  // Version 3: the event stream, consumer checkpoints, dead letters (`stream-migrations.ts`).
  { version: STREAM_MIGRATION.version, name: STREAM_MIGRATION.name, sql: STREAM_MIGRATION.sqlite },
  // Version 4: logins, identity status, dataset merges (`identity-migrations.ts`).
  { version: IDENTITY_MIGRATION.version, name: IDENTITY_MIGRATION.name, sql: IDENTITY_MIGRATION.sqlite },
  // Version 5: consumer leases across instances (the SQL is in sqlite-leases.ts).
  SQLITE_LEASES_MIGRATION,
  // Version 6: server keys, sealed under the master key (`key-migrations.ts`).
  SQLITE_KEYS_MIGRATION,
  // Version 7: group members (the SQL is in group-store.ts).
  SQLITE_GROUPS_MIGRATION,
  // Version 8: the built-in user pool (`user-pool-migrations.ts`).
  { version: USER_POOL_MIGRATION.version, name: USER_POOL_MIGRATION.name, sql: USER_POOL_MIGRATION.sqlite },
];

/**
 * Brings `db` to the newest version in `migrations`, all pending steps in one `BEGIN IMMEDIATE`
 * transaction: two processes starting at once cannot both apply a step, and a failing step leaves
 * the database as it was. Idempotent. Refuses a database whose version is newer than the code
 * (an older build must not write to a schema it does not know). Returns the versions applied.
 */
export function migrateSqlite(
  db: BetterSqlite3.Database,
  migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS,
): number[] {
  assertAscending(migrations);
  const newestKnown = migrations.at(-1)?.version ?? 0;
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER NOT NULL PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    ) STRICT`);
    const current =
      db.prepare<[], { version: number | null }>("SELECT max(version) AS version FROM schema_migrations").get()
        ?.version ?? 0;
    if (current > newestKnown) {
      throw new Error(
        `SQLite database schema is at version ${current}, newer than this build knows (${newestKnown}); ` +
          "run a newer syncpool against this data directory",
      );
    }
    const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
    const applied: number[] = [];
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
      applied.push(migration.version);
    }
    db.exec("COMMIT");
    return applied;
  } catch (error) {
    if (db.inTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

/** The list is code, but a misordered append would silently skip a step on existing databases. */
function assertAscending(migrations: readonly SqliteMigration[]): void {
  migrations.forEach((migration, index) => {
    const previous = index === 0 ? 0 : migrations[index - 1]!.version;
    if (!Number.isInteger(migration.version) || migration.version <= previous) {
      throw new Error(`SQLite migrations must have strictly ascending integer versions (at "${migration.name}")`);
    }
  });
}
