/**
 * The outbox side of a push, each step one transaction:
 * - `takeBatch` returns the stored in-flight batch, or builds one from the outbox and stores it
 *   BEFORE it is sent, so a retry (after a crash, a lost answer) re-sends the same mutation id;
 * - `ackBatch` removes the acknowledged rows, applies the records the server returned and clears
 *   the in-flight batch (when it is still that batch: tabs may share the database), all together;
 * - `setInFlight` replaces or clears it (a re-stamped batch, a batch the server refused).
 */
import type { SyncRecord } from "../../core/types.js";
import { buildBatch } from "./build-batch.js";
import type { OverwrittenReport } from "../events.js";
import type { IdentityDb } from "./identity-db.js";
import { persistClock, type WriteClock } from "./local-write.js";
import { mergeRemote } from "./merge-remote.js";
import { datasetMetaId, newDatasetMeta, type DatasetMeta, type InFlightBatch, type LocalRecord } from "./rows.js";

/** The batch to push next for `dataset`, stored as in flight; null when the outbox is empty. */
export async function takeBatch(
  db: IdentityDb,
  dataset: string,
  newMutationId: () => string,
  options: { skipKeys?: ReadonlySet<string>; maxPatches?: number } = {},
): Promise<InFlightBatch | null> {
  return db.transaction("rw", db.records, db.outbox, db.meta, async () => {
    const meta = ((await db.meta.get(datasetMetaId(dataset))) as DatasetMeta | undefined) ?? newDatasetMeta(dataset);
    if (meta.inFlight) return meta.inFlight;
    const rows = await db.outbox.where("dataset").equals(dataset).sortBy("seq");
    if (rows.length === 0) return null;
    const keys = [...new Set(rows.map((row) => row.key))];
    const records = await db.records.bulkGet(keys.map((key) => [dataset, key] as [string, string]));
    const base = new Map(keys.map((key, index) => [key, records[index]?.syncCount ?? 0]));
    const batch = buildBatch(rows, (key) => base.get(key) ?? 0, options);
    if (!batch) return null;
    const inFlight: InFlightBatch = { mutationId: newMutationId(), seqs: batch.seqs, patches: batch.patches };
    await db.meta.put({ ...meta, inFlight });
    return inFlight;
  });
}

/** Replaces the in-flight batch of `dataset` (null clears it). */
export async function setInFlight(db: IdentityDb, dataset: string, inFlight: InFlightBatch | null): Promise<void> {
  await db.transaction("rw", db.meta, async () => {
    const meta = ((await db.meta.get(datasetMetaId(dataset))) as DatasetMeta | undefined) ?? newDatasetMeta(dataset);
    await db.meta.put({ ...meta, inFlight });
  });
}

/**
 * Records the server's acknowledgement of `batch`: its outbox rows go, the returned records are
 * merged into the local view (keeping writes made since the batch was taken) and their clocks are
 * folded into this device's clock. Returns the local records that changed.
 */
export async function ackBatch(
  db: IdentityDb,
  dataset: string,
  batch: InFlightBatch,
  records: readonly SyncRecord[],
  clock: WriteClock,
  overwritten?: OverwrittenReport[],
): Promise<LocalRecord[]> {
  return db.transaction("rw", db.records, db.outbox, db.meta, async () => {
    const acked = overwritten ? (await db.outbox.bulkGet(batch.seqs)).filter((row) => row !== undefined) : [];
    await db.outbox.bulkDelete(batch.seqs);
    const meta = ((await db.meta.get(datasetMetaId(dataset))) as DatasetMeta | undefined) ?? newDatasetMeta(dataset);
    // Another tab sharing this database may have acked this batch already and stored its next
    // one: clearing that would re-send its rows under a new mutation id, applying them twice.
    if (meta.inFlight?.mutationId === batch.mutationId) await db.meta.put({ ...meta, inFlight: null });
    // After an ack the device's own write is the base of any later OPTIMISTIC write.
    const changed = await mergeRemote(db, dataset, records, clock, { keepPendingBase: false, overwritten, acked });
    await persistClock(db, clock);
    return changed;
  });
}
