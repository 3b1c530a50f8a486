/**
 * Dropping pending writes: the server refused them for good (`writeRejected`), or the app gave
 * up on them (`dataset.discardPending()`). In ONE transaction the outbox rows go, an in-flight
 * batch that covered any of them is cleared (its other rows go out again in a new batch, under a
 * new mutation id), and the local view is set up to take the server's values back:
 * - a key the server never acknowledged (sync count 0) and left with no pending write is removed;
 * - every other key keeps its local value until the next pull, which starts from 0
 *   (`pulledSyncCount` reset) so the server's version of each key comes back and, with no
 *   pending write left, replaces the local one.
 * Keeping the old server value beside each pending write would restore offline too, at the cost
 * of a second copy of every edited record; a full pull is bounded by the dataset limits.
 */
import type { IdentityDb } from "./identity-db.js";
import { datasetMetaId, newDatasetMeta, type DatasetMeta, type LocalRecord, type OutboxRow } from "./rows.js";

/** What was dropped. */
export interface DroppedWrites {
  /** The outbox rows removed, in write order. */
  rows: OutboxRow[];
  /** Local records removed (as tombstones, for bound docs and other tabs). */
  removed: LocalRecord[];
}

/** Drops the outbox rows of `dataset` that `which` selects (see the module comment). */
export async function dropPending(db: IdentityDb, dataset: string, which: (row: OutboxRow) => boolean): Promise<DroppedWrites> {
  return db.transaction("rw", db.records, db.outbox, db.meta, async () => {
    const outbox = await db.outbox.where("dataset").equals(dataset).sortBy("seq");
    const rows = outbox.filter(which);
    if (rows.length === 0) return { rows, removed: [] };
    const dropped = new Set(rows.map((row) => row.seq as number));
    await db.outbox.bulkDelete([...dropped]);
    const stillPending = new Set(outbox.filter((row) => !dropped.has(row.seq as number)).map((row) => row.key));

    const removed: LocalRecord[] = [];
    for (const key of new Set(rows.map((row) => row.key))) {
      if (stillPending.has(key)) continue;
      const record = await db.records.get([dataset, key]);
      if (!record || record.syncCount > 0) continue;
      await db.records.delete([dataset, key]);
      if (!record.deleted) removed.push({ ...record, value: null, deleted: true });
    }

    const metaId = datasetMetaId(dataset);
    const meta = ((await db.meta.get(metaId)) as DatasetMeta | undefined) ?? newDatasetMeta(dataset);
    const inFlight = meta.inFlight && meta.inFlight.seqs.some((seq) => dropped.has(seq)) ? null : (meta.inFlight ?? null);
    await db.meta.put({ ...meta, inFlight, pulledSyncCount: 0 });
    return { rows, removed };
  });
}

/** The outbox rows of `dataset` (all keys, or one), in write order. */
export async function readPending(db: IdentityDb, dataset: string, key?: string): Promise<OutboxRow[]> {
  const rows = await db.outbox.where("dataset").equals(dataset).sortBy("seq");
  return key === undefined ? rows : rows.filter((row) => row.key === key);
}
