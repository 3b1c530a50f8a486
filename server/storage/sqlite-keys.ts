/**
 * The SQLite adapter's `KeyStore` (server keys, `key-store.ts`) and the migration that creates its
 * table. Writes run under the adapter's write lock, which is what makes create-once and rotation
 * atomic here.
 */
import type { KeyStore, NewServerKey, ServerKeyRow } from "./key-store.js";
import type { SqliteMigration } from "./sqlite-migrations.js";
import { type Db, sql } from "./sqlite-rows.js";

/**
 * Migration 6 (listed in `sqlite-migrations.ts`). It ships once merged: never edit it, add a later
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

/** How the store reaches the adapter's connections. */
interface SqliteConnections {
  /** Runs `fn` on the reader connection (the adapter refuses it once closed). */
  read<T>(fn: (reader: Db) => T): Promise<T>;
  /** Runs `fn` on the writer connection under the adapter's write lock. */
  write<T>(fn: (writer: Db) => T): Promise<T>;
}

const KEY_COLUMNS = `kind, key_id AS keyId, sealed, generation, created_at AS createdAt`;

/** `KeyStore` over SQLite. */
export class SqliteKeyStore implements KeyStore {
  constructor(private readonly db: SqliteConnections) {}

  listServerKeys(): Promise<ServerKeyRow[]> {
    return this.db.read((reader) => sql<ServerKeyRow>(reader, `SELECT ${KEY_COLUMNS} FROM server_keys ORDER BY generation`).all());
  }

  serverKeyGeneration(): Promise<number> {
    return this.db.read((reader) => sql<{ generation: number }>(reader, `SELECT coalesce(max(generation), 0) AS generation FROM server_keys`).get()!.generation);
  }

  addMissingServerKeys(keys: readonly NewServerKey[]): Promise<string[]> {
    return this.db.write((writer) =>
      writer.transaction(() => {
        const stored: string[] = [];
        for (const key of keys) {
          const present = sql(writer, `SELECT 1 FROM server_keys WHERE kind = ?`).get(key.kind);
          if (present !== undefined) continue;
          insert(writer, key);
          stored.push(key.kind);
        }
        return stored;
      })(),
    );
  }

  rotateServerKey(key: NewServerKey, keep: number): Promise<ServerKeyRow> {
    return this.db.write((writer) =>
      writer.transaction(() => {
        const row = insert(writer, key);
        sql(
          writer,
          `DELETE FROM server_keys WHERE kind = ? AND generation NOT IN (SELECT generation FROM server_keys WHERE kind = ? ORDER BY generation DESC LIMIT ?)`,
        ).run(key.kind, key.kind, keep);
        return row;
      })(),
    );
  }
}

function insert(writer: Db, key: NewServerKey): ServerKeyRow {
  return sql<ServerKeyRow>(
    writer,
    `INSERT INTO server_keys (kind, key_id, sealed, generation, created_at)
     VALUES (@kind, @keyId, @sealed, (SELECT coalesce(max(generation), 0) + 1 FROM server_keys), @createdAt)
     RETURNING ${KEY_COLUMNS}`,
  ).get(key)!;
}
