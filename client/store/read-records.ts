/**
 * Reads of the local view. Every read is local (no network) and works offline. `observe*` wrap a
 * read in Dexie's `liveQuery`, so it emits again whenever a write or a sync changes the result.
 */
import { liveQuery } from "dexie";
import type { IdentityDb } from "./identity-db.js";
import { usageOf, type DatasetUsage } from "./record-state.js";
import { datasetMetaId, type DatasetMeta, type LocalRecord } from "./rows.js";

/** A minimal observable (what `liveQuery` returns), compatible with RxJS `from()` and Svelte stores. */
export interface Observable<T> {
  subscribe(observer: {
    next?: (value: T) => void;
    error?: (error: unknown) => void;
  }): { unsubscribe(): void };
}

/** One record (tombstones included), or undefined when this device never saw the key. */
export async function readRecord(db: IdentityDb, dataset: string, key: string): Promise<LocalRecord | undefined> {
  return db.records.get([dataset, key]);
}

/** The live (not deleted) records of a dataset, ordered by key. */
export async function readLiveRecords(db: IdentityDb, dataset: string): Promise<LocalRecord[]> {
  const records = await db.records.where("dataset").equals(dataset).toArray();
  return records.filter((record) => !record.deleted).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The dataset's usage in the local view (the server's rule: tombstones count their key). */
export async function readUsage(db: IdentityDb, dataset: string): Promise<DatasetUsage> {
  return usageOf(await db.records.where("dataset").equals(dataset).toArray());
}

/** How many local writes of the dataset (or of all datasets) wait for the server. */
export async function countPending(db: IdentityDb, dataset?: string): Promise<number> {
  return dataset === undefined ? db.outbox.count() : db.outbox.where("dataset").equals(dataset).count();
}

/** The datasets with local writes waiting for the server. */
export async function datasetsWithPending(db: IdentityDb): Promise<Set<string>> {
  return new Set((await db.outbox.orderBy("dataset").uniqueKeys()) as string[]);
}

/** The datasets this device holds (written locally or pulled), by name. */
export async function readDatasetMetas(db: IdentityDb): Promise<DatasetMeta[]> {
  const rows = await db.meta.where("id").startsWith("dataset:").toArray();
  return (rows as DatasetMeta[]).sort((a, b) => (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : 0));
}

/** One dataset's bookkeeping, or undefined. */
export async function readDatasetMeta(db: IdentityDb, dataset: string): Promise<DatasetMeta | undefined> {
  return (await db.meta.get(datasetMetaId(dataset))) as DatasetMeta | undefined;
}

/** `read` re-run on every change of the tables it reads. */
export function observe<T>(read: () => Promise<T>): Observable<T> {
  return liveQuery(read);
}
