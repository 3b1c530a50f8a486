/**
 * Applies a complete pull (all pages) of one dataset in ONE transaction and only then advances the
 * dataset's pulled sync count, so a crash mid-way leaves the cursor where it was and the next pull
 * fetches the same changes again (applying them twice changes nothing).
 *
 * A dataset deleted on the server (`dropSynced`) loses its local records, EXCEPT records with
 * pending local writes: a write is never dropped. They are kept as new records (sync count 0);
 * their YDOC ones are re-queued as one full update, since the incremental updates in the outbox
 * build on document state the server no longer has. The push that follows re-creates the dataset.
 */
import type { ConflictStrategy, SyncRecord } from "../../core/types.js";
import type { OverwrittenReport } from "../events.js";
import type { IdentityDb } from "./identity-db.js";
import { persistClock, type WriteClock } from "./local-write.js";
import { mergeRemote } from "./merge-remote.js";
import { datasetMetaId, newDatasetMeta, type DatasetMeta, type LocalRecord, type OutboxRow } from "./rows.js";
import { forgetTotals } from "./usage-totals.js";

export interface PullOutcome {
  dataset: string;
  records: readonly SyncRecord[];
  /** The count the last page reported: after applying, the device is up to date to it. */
  datasetSyncCount: number;
  conflictStrategy: ConflictStrategy;
  /** The server no longer has what this device pulled earlier: drop synced local records first. */
  dropSynced: boolean;
  /** The dataset does not exist on the server. */
  datasetExists: boolean;
}

export interface AppliedPull {
  /** Local records that changed (removed ones appear as tombstones with `value: null`). */
  changed: LocalRecord[];
  /** True when the dataset is gone locally too (no pending writes kept it). */
  datasetGone: boolean;
}

/** Applies `pull` (see the module comment). */
export async function applyPull(
  db: IdentityDb,
  pull: PullOutcome,
  clock: WriteClock,
  overwritten?: OverwrittenReport[],
): Promise<AppliedPull> {
  return db.transaction("rw", db.records, db.outbox, db.meta, async () => {
    const metaId = datasetMetaId(pull.dataset);
    const meta = ((await db.meta.get(metaId)) as DatasetMeta | undefined) ?? newDatasetMeta(pull.dataset);
    const changed: LocalRecord[] = [];
    if (pull.dropSynced) changed.push(...(await dropSyncedRecords(db, pull.dataset)));

    const hasPending = (await db.outbox.where("dataset").equals(pull.dataset).count()) > 0 || Boolean(meta.inFlight);
    if (!pull.datasetExists && !hasPending && !meta.pendingDelete) {
      // Nothing here and nothing there: forget the dataset so it no longer counts locally.
      const leftovers = await db.records.where("dataset").equals(pull.dataset).toArray();
      await db.records.bulkDelete(leftovers.map((record) => [record.dataset, record.key] as [string, string]));
      await forgetTotals(db, pull.dataset);
      changed.push(...leftovers.filter((record) => !record.deleted).map(asRemoved));
      await db.meta.delete(metaId);
      await persistClock(db, clock);
      return { changed: dedupe(changed), datasetGone: true };
    }

    await db.meta.put({ ...meta, conflictStrategy: pull.conflictStrategy });
    changed.push(...(await mergeRemote(db, pull.dataset, pull.records, clock, { keepPendingBase: true, overwritten })));
    const latest = (await db.meta.get(metaId)) as DatasetMeta;
    await db.meta.put({ ...latest, pulledSyncCount: pull.datasetSyncCount });
    await persistClock(db, clock);
    return { changed: dedupe(changed), datasetGone: false };
  });
}

/** Removes records without pending writes; re-bases the others (see the module comment). */
async function dropSyncedRecords(db: IdentityDb, dataset: string): Promise<LocalRecord[]> {
  const records = await db.records.where("dataset").equals(dataset).toArray();
  const outbox = await db.outbox.where("dataset").equals(dataset).toArray();
  const pendingKeys = new Set(outbox.map((row) => row.key));
  await forgetTotals(db, dataset);
  const removed: LocalRecord[] = [];
  for (const record of records) {
    if (!pendingKeys.has(record.key)) {
      await db.records.delete([dataset, record.key]);
      if (!record.deleted) removed.push(asRemoved(record));
      continue;
    }
    await db.records.put({ ...record, syncCount: 0, lastModifiedAt: 0 });
    if (record.kind === "YDOC" && !record.deleted && record.value !== null) {
      const rows = outbox.filter((row) => row.key === record.key);
      const last = rows.at(-1) as OutboxRow;
      await db.outbox.bulkDelete(rows.map((row) => row.seq as number));
      await db.outbox.add({
        dataset,
        key: record.key,
        op: "REPLACE",
        value: record.value,
        kind: "YDOC",
        clock: last.clock,
        baseSyncCount: 0,
        deviceLastModifiedAt: last.deviceLastModifiedAt,
      });
    }
  }
  const metaId = datasetMetaId(dataset);
  const meta = ((await db.meta.get(metaId)) as DatasetMeta | undefined) ?? newDatasetMeta(dataset);
  // The in-flight batch may rely on rows just replaced; build a new one from the outbox.
  await db.meta.put({ ...meta, pulledSyncCount: 0, inFlight: null });
  return removed;
}

function asRemoved(record: LocalRecord): LocalRecord {
  return { ...record, value: null, deleted: true };
}

function dedupe(records: LocalRecord[]): LocalRecord[] {
  const byKey = new Map(records.map((record) => [record.key, record]));
  return [...byKey.values()];
}
