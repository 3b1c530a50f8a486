/**
 * Applies one live change (the records a push stamped with `syncCount`, from the server's
 * `datasetChanged` event) the way a pull is applied: merged in ONE transaction, and the dataset's
 * pulled count advanced with them. Only when the change is exactly the next one after what this
 * device pulled: checked inside the transaction, so a pull that finished meanwhile is never
 * overtaken (the answer then says what to do instead).
 */
import type { SyncRecord } from "../../core/types.js";
import type { OverwrittenReport } from "../events.js";
import type { IdentityDb } from "./identity-db.js";
import { persistClock, type WriteClock } from "./local-write.js";
import { mergeRemote } from "./merge-remote.js";
import { datasetMetaId, type DatasetMeta, type LocalRecord } from "./rows.js";

/** What became of a live change. */
export type LiveApplyOutcome =
  /** Merged; the local records that changed. */
  | { applied: true; changed: LocalRecord[] }
  /** Already pulled (or this device's own): nothing to do. */
  | { applied: false; stale: true }
  /** Not the next change, or a dataset this device does not hold yet: pull instead. */
  | { applied: false; stale: false };

/** Applies `records` stamped with `syncCount` to `dataset` (see the module comment). */
export async function applyLiveChange(
  db: IdentityDb,
  dataset: string,
  syncCount: number,
  records: readonly SyncRecord[],
  clock: WriteClock,
  overwritten?: OverwrittenReport[],
): Promise<LiveApplyOutcome> {
  return db.transaction("rw", db.records, db.outbox, db.meta, async () => {
    const metaId = datasetMetaId(dataset);
    const meta = (await db.meta.get(metaId)) as DatasetMeta | undefined;
    // A dataset never pulled: a pull learns its conflict strategy and everything before.
    if (!meta || meta.pendingDelete) return { applied: false, stale: false };
    if (syncCount <= meta.pulledSyncCount) return { applied: false, stale: true };
    if (syncCount !== meta.pulledSyncCount + 1) return { applied: false, stale: false };
    const changed = await mergeRemote(db, dataset, records, clock, { keepPendingBase: true, overwritten });
    const latest = (await db.meta.get(metaId)) as DatasetMeta;
    await db.meta.put({ ...latest, pulledSyncCount: syncCount });
    await persistClock(db, clock);
    return { applied: true, changed };
  });
}
