/**
 * The `LeaseStore` (consumer leases, `lease-store.ts`) of both backends, written once as SQL
 * (`sql.ts`) over the backend's connections; the table is migration 5 (`lease-migrations.ts`).
 * Taking a lease is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE`: on PostgreSQL the conflicting
 * row is locked, so of two instances racing for a free lease the second re-checks the first's row
 * and finds it held; SQLite has one writer, so the statement is atomic there as it stands.
 */
import type { LeaseKey, LeaseRequest, LeaseRow, LeaseStore } from "./lease-store.js";
import { type SqlConnections, joinSql, raw, sql } from "./sql.js";

const LEASE_COLUMNS = raw(
  `consumer, pool_id AS "poolId", shard, holder, epoch, expires_at AS "expiresAt", acquired_at AS "acquiredAt"`,
);
const LEASE_ORDER = raw("ORDER BY consumer, pool_id, shard");

/** `LeaseStore` over either backend. */
export class SqlLeaseStore implements LeaseStore {
  constructor(private readonly db: SqlConnections) {}

  async acquireLease(request: LeaseRequest): Promise<number | null> {
    const { consumer, poolId, shard, holder, now, expiresAt } = request;
    const row = await this.db.write((session) =>
      session.get<{ epoch: number }>(sql`
        INSERT INTO stream_leases (consumer, pool_id, shard, holder, epoch, expires_at, acquired_at)
        VALUES (${consumer}, ${poolId}, ${shard}, ${holder}, 1, ${expiresAt}, ${now})
        ON CONFLICT (consumer, pool_id, shard) DO UPDATE SET
          epoch = CASE WHEN stream_leases.holder = excluded.holder THEN stream_leases.epoch ELSE stream_leases.epoch + 1 END,
          acquired_at = CASE WHEN stream_leases.holder = excluded.holder THEN stream_leases.acquired_at ELSE excluded.acquired_at END,
          holder = excluded.holder,
          expires_at = excluded.expires_at
        WHERE stream_leases.holder = excluded.holder OR stream_leases.expires_at <= ${now}
        RETURNING epoch`),
    );
    return row?.epoch ?? null;
  }

  renewLeases(holder: string, expiresAt: number): Promise<LeaseKey[]> {
    return this.db.write((session) =>
      session.all<LeaseKey>(
        sql`UPDATE stream_leases SET expires_at = ${expiresAt} WHERE holder = ${holder} RETURNING consumer, pool_id AS "poolId", shard`,
      ),
    );
  }

  async releaseLeases(holder: string, keys?: readonly LeaseKey[]): Promise<void> {
    if (holder === "" || keys?.length === 0) return;
    // One statement either way, so a partial release is never visible.
    const which =
      keys === undefined
        ? sql`TRUE`
        : joinSql(
            keys.map((key) => sql`(consumer = ${key.consumer} AND pool_id = ${key.poolId} AND shard = ${key.shard})`),
            " OR ",
          );
    await this.db.write((session) => session.run(sql`UPDATE stream_leases SET holder = '', expires_at = 0 WHERE holder = ${holder} AND (${which})`));
  }

  listLeases(consumer?: string): Promise<LeaseRow[]> {
    const where = consumer === undefined ? sql`` : sql`WHERE consumer = ${consumer}`;
    return this.db.read((session) => session.all<LeaseRow>(sql`SELECT ${LEASE_COLUMNS} FROM stream_leases ${where} ${LEASE_ORDER}`));
  }
}
