/**
 * The PostgreSQL adapter's `KeyStore` (server keys, `key-store.ts`) and the migration that creates
 * its table. Create-once and rotation run in one transaction under a transaction-scoped advisory
 * lock, so instances starting together on an empty database agree on one key per kind, and
 * generations never collide.
 */
import type { KeyStore, NewServerKey, ServerKeyRow } from "./key-store.js";
import type { PostgresMigration } from "./postgres-migrations.js";
import type { Queryable } from "./postgres-rows.js";

/**
 * Migration 6 (listed in `postgres-migrations.ts`). It ships once merged: never edit it, add a
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

/** Ways to reach the database: autocommit reads, and a transaction on one connection. */
export interface PostgresKeyConnections {
  read<T>(fn: (db: Queryable) => Promise<T>): Promise<T>;
  /** Runs `fn` between BEGIN and COMMIT on one connection (ROLLBACK when it throws). */
  transaction<T>(fn: (db: Queryable) => Promise<T>): Promise<T>;
}

/** Any fixed number: the advisory lock only has to be the same one on every instance. */
const KEYS_LOCK = 0x5e_c2_e7_01;
const KEY_COLUMNS = `kind, key_id AS "keyId", sealed, generation::float8 AS generation, created_at::float8 AS "createdAt"`;

/** `KeyStore` over PostgreSQL. */
export class PostgresKeyStore implements KeyStore {
  constructor(private readonly pool: PostgresKeyConnections) {}

  listServerKeys(): Promise<ServerKeyRow[]> {
    return this.pool.read(async (db) => (await db.query<ServerKeyRow>(`SELECT ${KEY_COLUMNS} FROM server_keys ORDER BY generation`)).rows);
  }

  serverKeyGeneration(): Promise<number> {
    return this.pool.read(async (db) => (await db.query<{ generation: number }>(`SELECT coalesce(max(generation), 0)::float8 AS generation FROM server_keys`)).rows[0]!.generation);
  }

  addMissingServerKeys(keys: readonly NewServerKey[]): Promise<string[]> {
    return this.pool.transaction(async (db) => {
      await db.query(`SELECT pg_advisory_xact_lock($1)`, [KEYS_LOCK]);
      const stored: string[] = [];
      for (const key of keys) {
        const { rowCount } = await db.query(`SELECT 1 FROM server_keys WHERE kind = $1`, [key.kind]);
        if ((rowCount ?? 0) > 0) continue;
        await insert(db, key);
        stored.push(key.kind);
      }
      return stored;
    });
  }

  rotateServerKey(key: NewServerKey, keep: number): Promise<ServerKeyRow> {
    return this.pool.transaction(async (db) => {
      await db.query(`SELECT pg_advisory_xact_lock($1)`, [KEYS_LOCK]);
      const row = await insert(db, key);
      await db.query(
        `DELETE FROM server_keys WHERE kind = $1 AND generation NOT IN (SELECT generation FROM server_keys WHERE kind = $1 ORDER BY generation DESC LIMIT $2)`,
        [key.kind, keep],
      );
      return row;
    });
  }
}

async function insert(db: Queryable, key: NewServerKey): Promise<ServerKeyRow> {
  const { rows } = await db.query<ServerKeyRow>(
    `INSERT INTO server_keys (kind, key_id, sealed, generation, created_at)
     VALUES ($1, $2, $3, (SELECT coalesce(max(generation), 0) + 1 FROM server_keys), $4)
     RETURNING ${KEY_COLUMNS}`,
    [key.kind, key.keyId, key.sealed, key.createdAt],
  );
  return rows[0]!;
}
