/**
 * The PostgreSQL schema as an ordered list of versioned migrations, kept in TypeScript like
 * `sqlite-migrations.ts` so the `tsc` build carries them. Append new migrations with the next
 * version; never edit one that has shipped, since databases in the field already ran it.
 */
import type pg from "pg";
import { assertSchemaName } from "./postgres-rows.js";
import { POSTGRES_DEVICES_MIGRATION } from "./device-migrations.js";
import { POSTGRES_GROUPS_MIGRATION } from "./group-store.js";
import { IDENTITY_MIGRATION } from "./identity-migrations.js";
import { POSTGRES_KEYS_MIGRATION } from "./key-migrations.js";
import { POSTGRES_LEASES_MIGRATION } from "./lease-migrations.js";
import { STREAM_MIGRATION } from "./stream-migrations.js";
import { USER_POOL_MIGRATION } from "./user-pool-migrations.js";

/** One schema step. `sql` may hold several statements; it runs inside the migration transaction. */
export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Design notes for version 1 (the same tables and meaning as SQLite's version 1):
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
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
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
  },
  // Version 2: push devices and their dataset subscriptions (`device-migrations.ts`).
  POSTGRES_DEVICES_MIGRATION,
  // Version 3: the event stream, consumer checkpoints, dead letters (`stream-migrations.ts`).
  { version: STREAM_MIGRATION.version, name: STREAM_MIGRATION.name, sql: STREAM_MIGRATION.postgres },
  // Version 4: logins, identity status, dataset merges (`identity-migrations.ts`).
  { version: IDENTITY_MIGRATION.version, name: IDENTITY_MIGRATION.name, sql: IDENTITY_MIGRATION.postgres },
  // Version 5: consumer leases across instances (the SQL is in postgres-leases.ts).
  POSTGRES_LEASES_MIGRATION,
  // Version 6: server keys, sealed under the master key (`key-migrations.ts`).
  POSTGRES_KEYS_MIGRATION,
  // Version 7: group members (the SQL is in group-store.ts).
  POSTGRES_GROUPS_MIGRATION,
  // Version 8: the built-in user pool (`user-pool-migrations.ts`).
  { version: USER_POOL_MIGRATION.version, name: USER_POOL_MIGRATION.name, sql: USER_POOL_MIGRATION.postgres },
];

/**
 * Brings `schema` (created if missing) to the newest version in `migrations`, all pending steps in
 * one transaction on `client` under a transaction-scoped advisory lock for that schema: servers
 * starting at once queue on the lock, and each later one finds the work done. DDL is transactional
 * in PostgreSQL, so a failing step leaves the schema as it was. Refuses a schema whose version is
 * newer than the code (an older build must not write to a schema it does not know). Returns the
 * versions applied.
 */
export async function migratePostgres(
  client: pg.ClientBase,
  schema: string,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  assertSchemaName(schema);
  assertAscending(migrations);
  const newestKnown = migrations.at(-1)?.version ?? 0;
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`syncpool.migrate.${schema}`]);
    // Only now, under the lock: `CREATE ... IF NOT EXISTS` races with itself across sessions.
    // Checking first also spares the database-level CREATE privilege when the schema exists.
    const { rowCount } = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
    if (rowCount === 0) await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET LOCAL search_path TO ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer NOT NULL PRIMARY KEY,
      name text NOT NULL,
      applied_at bigint NOT NULL
    )`);
    const { rows } = await client.query<{ version: number | null }>("SELECT max(version) AS version FROM schema_migrations");
    const current = rows[0]?.version ?? 0;
    if (current > newestKnown) {
      throw new Error(
        `PostgreSQL schema "${schema}" is at version ${current}, newer than this build knows (${newestKnown}); ` +
          "run a newer syncpool against this database",
      );
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await client.query(migration.sql);
      await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
        migration.version,
        migration.name,
        Date.now(),
      ]);
      applied.push(migration.version);
    }
    await client.query("COMMIT");
    return applied;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined); // keep the migration's error, not this one
    throw error;
  }
}

/** The list is code, but a misordered append would silently skip a step on existing databases. */
function assertAscending(migrations: readonly PostgresMigration[]): void {
  migrations.forEach((migration, index) => {
    const previous = index === 0 ? 0 : migrations[index - 1]!.version;
    if (!Number.isInteger(migration.version) || migration.version <= previous) {
      throw new Error(`PostgreSQL migrations must have strictly ascending integer versions (at "${migration.name}")`);
    }
  });
}
