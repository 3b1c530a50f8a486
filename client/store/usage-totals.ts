/**
 * Running usage totals per dataset (live records and bytes, the server's rule), kept in the meta
 * table so a local write checks the limits without reading the whole dataset (filling a dataset
 * was O(n^2) when every put re-read it). Every change of `records` moves the totals in the same
 * transaction; bulk rewrites (a pull from zero, a dataset delete) drop them instead, and the next
 * write recounts once. A missing row is therefore always safe: it means "recount".
 */
import type { IdentityDb } from "./identity-db.js";
import { usageOf, type DatasetUsage } from "./record-state.js";
import type { LocalRecord, UsageMeta } from "./rows.js";

/** The meta row id of a dataset's totals (beside `dataset:<name>`, never inside it). */
export function usageMetaId(dataset: string): string {
  return `usage:${dataset}`;
}

/** The dataset's totals, counted and stored when unknown (inside a read-write transaction on meta). */
export async function readTotals(db: IdentityDb, dataset: string): Promise<DatasetUsage> {
  const row = (await db.meta.get(usageMetaId(dataset))) as UsageMeta | undefined;
  if (row) return { recordCount: row.recordCount, sizeBytes: row.sizeBytes };
  const counted = usageOf(await db.records.where("dataset").equals(dataset).toArray());
  await saveTotals(db, dataset, counted);
  return counted;
}

/** Stores the dataset's totals (inside the caller's transaction). */
export async function saveTotals(db: IdentityDb, dataset: string, usage: DatasetUsage): Promise<void> {
  await db.meta.put(usageRow(dataset, usage));
}

/** The totals row of a dataset. */
export function usageRow(dataset: string, usage: DatasetUsage): UsageMeta {
  return { id: usageMetaId(dataset), recordCount: usage.recordCount, sizeBytes: usage.sizeBytes };
}

/** `usage` with `before` replaced by `after` (either may be absent). */
export function moveUsage(usage: DatasetUsage, before: LocalRecord | undefined, after: LocalRecord | undefined): DatasetUsage {
  const removed = usageOf(before ? [before] : []);
  const added = usageOf(after ? [after] : []);
  return {
    recordCount: usage.recordCount - removed.recordCount + added.recordCount,
    sizeBytes: usage.sizeBytes - removed.sizeBytes + added.sizeBytes,
  };
}

/**
 * Moves the stored totals for one record changed from `before` to `after` (call after writing
 * it, inside the same transaction). Unknown totals stay unknown: the recount will see the write.
 */
export async function moveTotals(db: IdentityDb, dataset: string, before: LocalRecord | undefined, after: LocalRecord | undefined): Promise<void> {
  const row = (await db.meta.get(usageMetaId(dataset))) as UsageMeta | undefined;
  if (row) await saveTotals(db, dataset, moveUsage(row, before, after));
}

/** The stored totals, or undefined when unknown (a recount is due; nothing to move). */
export async function storedTotals(db: IdentityDb, dataset: string): Promise<DatasetUsage | undefined> {
  const row = (await db.meta.get(usageMetaId(dataset))) as UsageMeta | undefined;
  return row ? { recordCount: row.recordCount, sizeBytes: row.sizeBytes } : undefined;
}

/** Forgets the totals after a bulk rewrite of the dataset's records; the next write recounts. */
export async function forgetTotals(db: IdentityDb, dataset: string): Promise<void> {
  await db.meta.delete(usageMetaId(dataset));
}
