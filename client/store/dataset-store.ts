/**
 * Dataset-level changes of the local store: a local delete (records and outbox go at once, the
 * server delete is queued as `pendingDelete`), and the strategy learned from the server.
 */
import type { ConflictStrategy } from "../../core/types.js";
import type { IdentityDb } from "./identity-db.js";
import { datasetMetaId, newDatasetMeta, type DatasetMeta, type LocalRecord } from "./rows.js";
import { forgetTotals } from "./usage-totals.js";

/**
 * Deletes a dataset locally and queues the server delete. Pending writes go too: deleting a
 * dataset discards what was written to it. Returns the live records that were removed.
 */
export async function deleteDatasetLocally(db: IdentityDb, dataset: string): Promise<LocalRecord[]> {
  return db.transaction("rw", db.records, db.outbox, db.meta, async () => {
    const records = await db.records.where("dataset").equals(dataset).toArray();
    await db.records.where("dataset").equals(dataset).delete();
    await forgetTotals(db, dataset);
    await db.outbox.where("dataset").equals(dataset).delete();
    await db.meta.put({ ...newDatasetMeta(dataset), pendingDelete: true });
    return records.filter((record) => !record.deleted).map((record) => ({ ...record, value: null, deleted: true }));
  });
}

/** Marks the server delete as done: the dataset is gone unless new writes arrived since. */
export async function finishDatasetDelete(db: IdentityDb, dataset: string): Promise<void> {
  await db.transaction("rw", db.outbox, db.meta, async () => {
    const metaId = datasetMetaId(dataset);
    const meta = (await db.meta.get(metaId)) as DatasetMeta | undefined;
    if (!meta) return;
    const pending = await db.outbox.where("dataset").equals(dataset).count();
    if (pending === 0) await db.meta.delete(metaId);
    else await db.meta.put({ ...meta, pendingDelete: false, pulledSyncCount: 0 });
  });
}

/** Stores the conflict strategy the server reported for a dataset. */
export async function saveConflictStrategy(db: IdentityDb, dataset: string, strategy: ConflictStrategy): Promise<void> {
  await db.transaction("rw", db.meta, async () => {
    const metaId = datasetMetaId(dataset);
    const meta = ((await db.meta.get(metaId)) as DatasetMeta | undefined) ?? newDatasetMeta(dataset);
    await db.meta.put({ ...meta, conflictStrategy: strategy });
  });
}
