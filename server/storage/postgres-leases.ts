/**
 * The PostgreSQL adapter's `LeaseStore` (consumer leases, `lease-store.ts`) and the migration that
 * creates its table. `postgres.ts` owns the pool and hands this store ways to use it.
 */
import type { LeaseKey, LeaseRequest, LeaseRow, LeaseStore } from "./lease-store.js";
import type { PostgresConnections } from "./postgres-devices.js";
import type { PostgresMigration } from "./postgres-migrations.js";

/**
 * Migration 5 (listed in `postgres-migrations.ts`). It ships once merged: never edit it, add a
 * later version instead.
 * - One row per (consumer, pool, shard), kept when released (holder "", expiry 0) so `epoch` only
 *   ever grows: a holder comparing epochs must never see an old number come back.
 * - Taking a lease is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE`: the conflicting row is
 *   locked, so of two instances racing for a free lease the second re-checks the first's row and
 *   finds it held.
 */
export const POSTGRES_LEASES_MIGRATION: PostgresMigration = {
  version: 5,
  name: "stream consumer leases",
  sql: `
    CREATE TABLE stream_leases (
      consumer text COLLATE "C" NOT NULL,
      pool_id text COLLATE "C" NOT NULL,
      shard integer NOT NULL,
      holder text COLLATE "C" NOT NULL,
      epoch bigint NOT NULL,
      expires_at bigint NOT NULL,
      acquired_at bigint NOT NULL,
      PRIMARY KEY (consumer, pool_id, shard)
    );
    CREATE INDEX stream_leases_by_holder ON stream_leases (holder);
  `,
};

const LEASE_COLUMNS = `consumer, pool_id AS "poolId", shard, holder, epoch, expires_at AS "expiresAt", acquired_at AS "acquiredAt"`;

/** `LeaseStore` over PostgreSQL. */
export class PostgresLeaseStore implements LeaseStore {
  constructor(private readonly pool: PostgresConnections) {}

  async acquireLease(request: LeaseRequest): Promise<number | null> {
    const { consumer, poolId, shard, holder, now, expiresAt } = request;
    const { rows } = await this.pool.write((db) =>
      db.query<{ epoch: number }>(
        `INSERT INTO stream_leases AS l (consumer, pool_id, shard, holder, epoch, expires_at, acquired_at)
         VALUES ($1, $2, $3, $4, 1, $6, $5)
         ON CONFLICT (consumer, pool_id, shard) DO UPDATE SET
           epoch = CASE WHEN l.holder = excluded.holder THEN l.epoch ELSE l.epoch + 1 END,
           acquired_at = CASE WHEN l.holder = excluded.holder THEN l.acquired_at ELSE excluded.acquired_at END,
           holder = excluded.holder,
           expires_at = excluded.expires_at
         WHERE l.holder = excluded.holder OR l.expires_at <= $5
         RETURNING epoch`,
        [consumer, poolId, shard, holder, now, expiresAt],
      ),
    );
    return rows[0]?.epoch ?? null;
  }

  async renewLeases(holder: string, expiresAt: number): Promise<LeaseKey[]> {
    const { rows } = await this.pool.write((db) =>
      db.query<LeaseKey>(
        `UPDATE stream_leases SET expires_at = $2 WHERE holder = $1 RETURNING consumer, pool_id AS "poolId", shard`,
        [holder, expiresAt],
      ),
    );
    return rows;
  }

  async releaseLeases(holder: string, keys?: readonly LeaseKey[]): Promise<void> {
    if (holder === "") return;
    await this.pool.write((db) =>
      keys === undefined
        ? db.query(`UPDATE stream_leases SET holder = '', expires_at = 0 WHERE holder = $1`, [holder])
        : db.query(
            `UPDATE stream_leases SET holder = '', expires_at = 0
             WHERE holder = $1 AND (consumer, pool_id, shard) IN (SELECT * FROM unnest($2::text[], $3::text[], $4::int[]))`,
            [holder, keys.map((key) => key.consumer), keys.map((key) => key.poolId), keys.map((key) => key.shard)],
          ),
    );
  }

  listLeases(consumer?: string): Promise<LeaseRow[]> {
    return this.pool.read(async (db) => {
      const order = "ORDER BY consumer, pool_id, shard";
      const { rows } =
        consumer === undefined
          ? await db.query<LeaseRow>(`SELECT ${LEASE_COLUMNS} FROM stream_leases ${order}`)
          : await db.query<LeaseRow>(`SELECT ${LEASE_COLUMNS} FROM stream_leases WHERE consumer = $1 ${order}`, [consumer]);
      return rows;
    });
  }
}
