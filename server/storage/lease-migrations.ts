/**
 * Migration 5, the consumer leases table, in both dialects side by side so the two stay alike:
 * the queries on it are written once in `sql-leases.ts`.
 */
import type { Migration } from "./migration.js";

/**
 * Migration 5 (listed in `migrations.ts`). It has shipped: never edit it, add a later version
 * instead. Same table and meaning in both dialects.
 * - One row per (consumer, pool, shard), kept when released (holder "", expiry 0) so `epoch` only
 *   ever grows: a holder comparing epochs must never see an old number come back.
 * - Taking a lease is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE`: the conflicting row is
 *   locked, so of two instances racing for a free lease the second re-checks the first's row and
 *   finds it held.
 */
export const LEASES_MIGRATION: Migration = {
  version: 5,
  name: "stream consumer leases",
  sqlite: `
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
  postgres: `
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
