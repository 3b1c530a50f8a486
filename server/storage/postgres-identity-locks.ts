/**
 * The locks of an identity merge on PostgreSQL, the one part of `writeMerge` (`sql-identities.ts`)
 * that differs per backend (SQLite's single writer already holds them all). Taken in this order,
 * which extends the order of `postgres-dataset-tx.ts`, so merges and pushes never wait in a cycle:
 * 1. every dataset's advisory lock, sorted by (identity, name), each with its write handle;
 * 2. the source identity's row, `FOR UPDATE`: a push of the source reads that row `FOR KEY SHARE`
 *    after its dataset lock (`assertIdentityWritable`), so a push already past its dataset lock
 *    finishes first, and one that comes later sees the source disabled;
 * 3. the identities' dataset-creation advisory locks, sorted by id.
 * All are transaction-scoped: COMMIT or ROLLBACK releases them, a crashed server's too.
 */
import type pg from "pg";
import { PostgresDatasetTx } from "./postgres-dataset-tx.js";
import type { MergeLocks } from "./sql-identities.js";

/** Takes `locks` on `client`, inside its READ COMMITTED transaction; returns the dataset handles in order. */
export async function lockPostgresMerge(client: pg.PoolClient, schema: string, locks: MergeLocks): Promise<PostgresDatasetTx[]> {
  const handles: PostgresDatasetTx[] = [];
  for (const ref of locks.datasets) handles.push(await PostgresDatasetTx.lock(client, schema, ref.identityId, ref.name));
  await client.query("SELECT 1 FROM identities WHERE id = $1 FOR UPDATE", [locks.sourceId]);
  for (const id of locks.identityIds) {
    // Must stay equal to the key of `PostgresDatasetTx`'s identity lock.
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`syncpool.datasets.${schema}.${id}`]);
  }
  return handles;
}
