/**
 * The SQLite adapter's `LeaseStore` (consumer leases, `lease-store.ts`) and the migration that
 * creates its table. With SQLite there is one instance, so every lease is its own; the leases
 * still run here so both backends share one code path and one conformance suite.
 */
import type { LeaseKey, LeaseRequest, LeaseRow, LeaseStore } from "./lease-store.js";
import type { SqliteConnections } from "./sqlite-devices.js";
import type { SqliteMigration } from "./sqlite-migrations.js";
import { sql } from "./sqlite-rows.js";

/**
 * Migration 5 (listed in `sqlite-migrations.ts`). It has shipped once merged: never edit it, add a
 * later version instead. Same table and meaning as PostgreSQL's version 5: one row per
 * (consumer, pool, shard), kept when released so `epoch` only grows.
 */
export const SQLITE_LEASES_MIGRATION: SqliteMigration = {
  version: 5,
  name: "stream consumer leases",
  sql: `
    CREATE TABLE stream_leases (
      consumer TEXT NOT NULL,
      pool_id TEXT NOT NULL,
      shard INTEGER NOT NULL,
      holder TEXT NOT NULL,
      epoch INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      acquired_at INTEGER NOT NULL,
      PRIMARY KEY (consumer, pool_id, shard)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX stream_leases_by_holder ON stream_leases (holder);
  `,
};

const LEASE_COLUMNS = `consumer, pool_id AS poolId, shard, holder, epoch, expires_at AS expiresAt, acquired_at AS acquiredAt`;

/** `LeaseStore` over SQLite. */
export class SqliteLeaseStore implements LeaseStore {
  constructor(private readonly db: SqliteConnections) {}

  acquireLease(request: LeaseRequest): Promise<number | null> {
    return this.db.write((writer) => {
      const row = sql<{ epoch: number }>(
        writer,
        `INSERT INTO stream_leases (consumer, pool_id, shard, holder, epoch, expires_at, acquired_at)
         VALUES (@consumer, @poolId, @shard, @holder, 1, @expiresAt, @now)
         ON CONFLICT (consumer, pool_id, shard) DO UPDATE SET
           epoch = CASE WHEN stream_leases.holder = excluded.holder THEN stream_leases.epoch ELSE stream_leases.epoch + 1 END,
           acquired_at = CASE WHEN stream_leases.holder = excluded.holder THEN stream_leases.acquired_at ELSE excluded.acquired_at END,
           holder = excluded.holder,
           expires_at = excluded.expires_at
         WHERE stream_leases.holder = excluded.holder OR stream_leases.expires_at <= @now
         RETURNING epoch`,
      ).get(request);
      return row?.epoch ?? null;
    });
  }

  renewLeases(holder: string, expiresAt: number): Promise<LeaseKey[]> {
    return this.db.write((writer) =>
      sql<LeaseKey>(writer, `UPDATE stream_leases SET expires_at = ? WHERE holder = ? RETURNING consumer, pool_id AS poolId, shard`).all(
        expiresAt,
        holder,
      ),
    );
  }

  async releaseLeases(holder: string, keys?: readonly LeaseKey[]): Promise<void> {
    if (holder === "") return;
    await this.db.write((writer) => {
      if (keys === undefined) {
        sql(writer, `UPDATE stream_leases SET holder = '', expires_at = 0 WHERE holder = ?`).run(holder);
        return;
      }
      const release = sql(writer, `UPDATE stream_leases SET holder = '', expires_at = 0 WHERE holder = ? AND consumer = ? AND pool_id = ? AND shard = ?`);
      writer.transaction(() => {
        for (const key of keys) release.run(holder, key.consumer, key.poolId, key.shard);
      })();
    });
  }

  listLeases(consumer?: string): Promise<LeaseRow[]> {
    return this.db.read((reader) => {
      const order = "ORDER BY consumer, pool_id, shard";
      return consumer === undefined
        ? sql<LeaseRow>(reader, `SELECT ${LEASE_COLUMNS} FROM stream_leases ${order}`).all()
        : sql<LeaseRow>(reader, `SELECT ${LEASE_COLUMNS} FROM stream_leases WHERE consumer = ? ${order}`).all(consumer);
    });
  }
}
