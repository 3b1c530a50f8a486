/**
 * PostgreSQL's locks: the one part of dataset writes and identity merges that differs per backend
 * (SQLite's single writer already holds everything at once). Always taken in this order, so two
 * transactions can never wait on each other in a cycle:
 * 1. dataset advisory locks (a merge, and a group commit's transaction, take every one they write
 *    at once, sorted by (identity, name), before any other lock), each before its dataset row is read;
 * 2. identity rows: a merge takes the source's `FOR UPDATE`. A push reads its identity's row
 *    `FOR KEY SHARE` after its dataset lock (`sql-dataset-opening.ts`), so a push already past its
 *    dataset lock finishes first, and one that comes later sees the source disabled. A group
 *    commit's transaction takes every member's identity row `FOR KEY SHARE`, sorted, right after
 *    its dataset locks and before any member runs: otherwise an earlier member could take a lock a
 *    merge still needs (its target's dataset-creation lock, the stream shard's row) while a later
 *    member of the merge's source waits for the merge's row lock, a cycle;
 * 3. identity dataset-creation advisory locks (a merge takes both identities', sorted by id); a
 *    dataset write takes its identity's when it counts live datasets or creates or revives one,
 *    so dataset creation per identity is serialized across servers. A group commit's transaction
 *    takes every member's, sorted, after their rows and before any member runs: otherwise an
 *    earlier member's append could hold the shard's row, which a merge appends to last, while a
 *    later member waits for that merge's creation lock of its target, a cycle;
 * 4. the stream shard's counter row, by the append that ends a push or a merge.
 * All are transaction-scoped: COMMIT or ROLLBACK releases them, a crashed server's too.
 */
import { type DatasetTxDriver, SqlDatasetTx } from "./sql-dataset-tx.js";
import type { DatasetRef } from "./identity-store.js";
import type { MergeLocks } from "./sql-identities.js";
import { type SqlSession, sql } from "./sql.js";

/**
 * Takes the dataset's lock inside the transaction open on `session`. An advisory lock rather than
 * `SELECT … FOR UPDATE`: the first push to a dataset has no row to lock, and an insert-first would
 * have to undo itself when the push fails. Two int4 keys, (schema + identity, dataset): a hash
 * collision only makes two datasets share a queue; the schema keeps deployments (and tests)
 * sharing one database out of each other's way.
 */
export async function lockDataset(session: SqlSession, schema: string, identityId: string, name: string): Promise<void> {
  await session.run(sql`SELECT pg_advisory_xact_lock(hashtext(${`${schema}.${identityId}`}), hashtext(${name}))`);
}

/**
 * Takes the locks of `datasets` (sorted by (identity, name), as `sortDatasetRefs` orders them) in
 * that order, in one statement: unnest hands the rows to the lock calls in array order. The keys
 * are `lockDataset`'s, so a group and a single writer of one dataset exclude each other.
 */
export async function lockDatasets(session: SqlSession, schema: string, datasets: readonly DatasetRef[]): Promise<void> {
  const owners = datasets.map((ref) => `${schema}.${ref.identityId}`);
  const names = datasets.map((ref) => ref.name);
  await session.run(sql`
    SELECT pg_advisory_xact_lock(hashtext(owner), hashtext(name)) FROM unnest(${owners}::text[], ${names}::text[]) AS locks(owner, name)`);
}

/**
 * Takes the identity rows of `identityIds` `FOR KEY SHARE`, sorted, in one statement: a group
 * commit's step 2. A merge's `FOR UPDATE` of its source then waits for the group, or the group for
 * the merge, while the waiting side holds only dataset locks. Identities without a row lock nothing.
 */
export async function lockIdentityRows(session: SqlSession, identityIds: readonly string[]): Promise<void> {
  await session.run(sql`SELECT 1 FROM identities WHERE id = ANY(${[...new Set(identityIds)]}::text[]) ORDER BY id FOR KEY SHARE`);
}

/** The text an identity's dataset-creation lock is hashed from: one int8 key, a key space apart from the dataset locks' int4 pairs. */
const creationLockKey = (schema: string, identityId: string): string => `syncpool.datasets.${schema}.${identityId}`;

/** Takes the identity's dataset-creation lock. */
export async function lockIdentityDatasets(session: SqlSession, schema: string, identityId: string): Promise<void> {
  await session.run(sql`SELECT pg_advisory_xact_lock(hashtextextended(${creationLockKey(schema, identityId)}, 0))`);
}

/** Takes the dataset-creation locks of `identityIds`, sorted, in one statement (a group commit's step 3); keys as `lockIdentityDatasets`. */
export async function lockIdentitiesDatasets(session: SqlSession, schema: string, identityIds: readonly string[]): Promise<void> {
  const keys = [...new Set(identityIds)].sort().map((id) => creationLockKey(schema, id));
  await session.run(sql`SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) FROM unnest(${keys}::text[]) AS locks(key)`);
}

/** Takes a merge's `locks` on `session`, inside its READ COMMITTED transaction; returns the dataset handles in order. */
export async function lockMerge(session: SqlSession, schema: string, locks: MergeLocks, driver: DatasetTxDriver): Promise<SqlDatasetTx[]> {
  const handles: SqlDatasetTx[] = [];
  for (const ref of locks.datasets) {
    await lockDataset(session, schema, ref.identityId, ref.name);
    handles.push(await SqlDatasetTx.open(session, driver, ref.identityId, ref.name));
  }
  await session.run(sql`SELECT 1 FROM identities WHERE id = ${locks.sourceId} FOR UPDATE`);
  for (const id of locks.identityIds) await lockIdentityDatasets(session, schema, id);
  return handles;
}
