/**
 * Identity pools and the identities they hold: the pool's stored settings and each identity's
 * row as created (`storage.pools`). What happens to an identity later (logins, status, merges) is
 * the `IdentityStore` (`identity-store.ts`). Written once as SQL in `sql-pools.ts`; the tables
 * are migration 1 (`dataset-migrations.ts`).
 */

/** An identity pool as stored; `settings` is the pool's validated settings object as JSON. */
export interface StoredPool {
  id: string;
  settings: Record<string, unknown>;
  createdAt: number;
}

/** An identity. Guests hold a device secret, stored only as a hash. */
export interface IdentityRow {
  id: string;
  poolId: string;
  /** scrypt/sha hash of the guest's device secret; null for identities without one. */
  secretHash: string | null;
  createdAt: number;
}

/** Pools and identity rows. */
export interface PoolStore {
  /** Inserts the pool, or replaces the settings of a pool with that id (its `createdAt` stays). */
  savePool(pool: StoredPool): Promise<void>;
  getPool(id: string): Promise<StoredPool | null>;
  /** Every pool, ordered by id. */
  listPools(): Promise<StoredPool[]>;

  /** Inserts an identity; fails when the id exists. */
  createIdentity(row: IdentityRow): Promise<void>;
  getIdentity(id: string): Promise<IdentityRow | null>;
}
