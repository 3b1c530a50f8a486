/**
 * The `KeyStore` (server keys, sealed, `key-store.ts`) of both backends, written once as SQL
 * (`sql.ts`); the table is migration 6 (`key-migrations.ts`). Create-once and rotation each run in
 * one transaction under `KEYS_LOCK`, so instances starting together on an empty database agree on
 * one key per kind, and generations never collide.
 */
import type { KeyStore, NewServerKey, ServerKeyRow } from "./key-store.js";
import { type SqlConnections, type SqlSession, raw, sql } from "./sql.js";

/** Any fixed number: the lock only has to be the same one on every instance. */
const KEYS_LOCK = 0x5e_c2_e7_01;
const KEY_COLUMNS = raw(`kind, key_id AS "keyId", sealed, generation, created_at AS "createdAt"`);

/** `KeyStore` over either backend. */
export class SqlKeyStore implements KeyStore {
  constructor(private readonly db: SqlConnections) {}

  listServerKeys(): Promise<ServerKeyRow[]> {
    return this.db.read((session) => session.all<ServerKeyRow>(sql`SELECT ${KEY_COLUMNS} FROM server_keys ORDER BY generation`));
  }

  async serverKeyGeneration(): Promise<number> {
    const row = await this.db.read((session) =>
      session.get<{ generation: number }>(sql`SELECT coalesce(max(generation), 0) AS generation FROM server_keys`),
    );
    return row!.generation;
  }

  addMissingServerKeys(keys: readonly NewServerKey[]): Promise<string[]> {
    return this.db.transaction(async (session) => {
      const stored: string[] = [];
      for (const key of keys) {
        if ((await session.get(sql`SELECT 1 FROM server_keys WHERE kind = ${key.kind}`)) !== undefined) continue;
        await insert(session, key);
        stored.push(key.kind);
      }
      return stored;
    }, KEYS_LOCK);
  }

  rotateServerKey(key: NewServerKey, keep: number): Promise<ServerKeyRow> {
    return this.db.transaction(async (session) => {
      const row = await insert(session, key);
      await session.run(sql`
        DELETE FROM server_keys WHERE kind = ${key.kind} AND generation NOT IN
          (SELECT generation FROM server_keys WHERE kind = ${key.kind} ORDER BY generation DESC LIMIT ${keep})`);
      return row;
    }, KEYS_LOCK);
  }
}

async function insert(session: SqlSession, key: NewServerKey): Promise<ServerKeyRow> {
  const row = await session.get<ServerKeyRow>(sql`
    INSERT INTO server_keys (kind, key_id, sealed, generation, created_at)
    VALUES (${key.kind}, ${key.keyId}, ${key.sealed}, (SELECT coalesce(max(generation), 0) + 1 FROM server_keys), ${key.createdAt})
    RETURNING ${KEY_COLUMNS}`);
  return row!;
}
