/**
 * The `PoolStore` (identity pools and identity rows, `pool-store.ts`) of both backends, written
 * once as SQL (`sql.ts`); the tables are migration 1 (`dataset-migrations.ts`). Pool settings are
 * JSON text on SQLite and jsonb on PostgreSQL: the insert binds JSON text on both (PostgreSQL
 * casts it to the column's type) and a read parses whatever is still text.
 */
import type { IdentityRow, PoolStore, StoredPool } from "./pool-store.js";
import { type SqlConnections, raw, sql } from "./sql.js";

const POOL_COLUMNS = raw(`id, settings, created_at AS "createdAt"`);
const IDENTITY_COLUMNS = raw(`id, pool_id AS "poolId", secret_hash AS "secretHash", created_at AS "createdAt"`);

/** A pool row as either backend returns it: settings as JSON text (SQLite) or parsed (PostgreSQL). */
type PoolRow = Omit<StoredPool, "settings"> & { settings: string | Record<string, unknown> };
const toPool = (row: PoolRow): StoredPool => ({
  id: row.id,
  settings: typeof row.settings === "string" ? (JSON.parse(row.settings) as Record<string, unknown>) : row.settings,
  createdAt: row.createdAt,
});

/** `PoolStore` over either backend. */
export class SqlPoolStore implements PoolStore {
  constructor(private readonly db: SqlConnections) {}

  async savePool(pool: StoredPool): Promise<void> {
    await this.db.write((session) =>
      session.run(sql`
        INSERT INTO pools (id, settings, created_at) VALUES (${pool.id}, ${JSON.stringify(pool.settings)}, ${pool.createdAt})
        ON CONFLICT (id) DO UPDATE SET settings = excluded.settings`),
    );
  }

  async getPool(id: string): Promise<StoredPool | null> {
    const row = await this.db.read((session) => session.get<PoolRow>(sql`SELECT ${POOL_COLUMNS} FROM pools WHERE id = ${id}`));
    return row ? toPool(row) : null;
  }

  async listPools(): Promise<StoredPool[]> {
    const rows = await this.db.read((session) => session.all<PoolRow>(sql`SELECT ${POOL_COLUMNS} FROM pools ORDER BY id`));
    return rows.map(toPool);
  }

  async createIdentity(row: IdentityRow): Promise<void> {
    await this.db.write((session) =>
      session.run(sql`
        INSERT INTO identities (id, pool_id, secret_hash, created_at)
        VALUES (${row.id}, ${row.poolId}, ${row.secretHash}, ${row.createdAt})`),
    );
  }

  async getIdentity(id: string): Promise<IdentityRow | null> {
    const row = await this.db.read((session) => session.get<IdentityRow>(sql`SELECT ${IDENTITY_COLUMNS} FROM identities WHERE id = ${id}`));
    return row ?? null;
  }
}
