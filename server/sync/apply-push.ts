/**
 * pushRecords: applies a batch of patches to one dataset, all or nothing.
 *
 * Order of work, and why:
 * 1. validate the input (no lock held, nothing changes on a bad push);
 * 2. under the dataset's write lock: answer a replay from the remembered result (idempotency must
 *    be decided under the lock, or two concurrent retries would both apply);
 * 3. OPTIMISTIC datasets: any patch based on a stale record sync count rejects the whole push
 *    with the server's records as conflicts, committing nothing;
 * 4. merge each patch into its stored record (core/merge), stamp clockless patches with a clock
 *    after the stored one, move usage by deltas and check limits;
 * 5. bump the dataset sync count by exactly one, stamp changed records with it, remember the
 *    answer under (identity, deviceId, mutationId), commit.
 */
import { formatClock, parseClock, receiveClock, compareClocks } from "../../core/clock.js";
import { checkDatasetCount, checkDatasetUsage } from "../../core/limits.js";
import { mergeRecordStates, stateChanged, type RecordState } from "../../core/merge.js";
import type { ConflictStrategy, Limits, SyncRecord } from "../../core/types.js";
import type { DatasetRow, DatasetWriteTx } from "../storage/storage.js";
import { checkSessionToken } from "./session-token.js";
import type { Caller, Conflict, PushRecordsInput, PushResult, SyncDeps } from "./types.js";
import { moveUsage, type DatasetUsage } from "./usage.js";
import { validatePush, type CheckedPatch } from "./validate-push.js";

/** Applies a push for `caller`; see the module comment for the order of work. */
export async function applyPush(deps: SyncDeps, caller: Caller, input: PushRecordsInput): Promise<PushResult> {
  const patches = validatePush(input, caller.limits, deps.now());
  if (input.syncSessionToken) {
    checkSessionToken(deps.sessionSecret, input.syncSessionToken, caller.identityId, input.dataset);
  }
  const result = await deps.storage.writeDataset(caller.identityId, input.dataset, async (tx) => {
    const remembered = await tx.getMutation(input.deviceId, input.mutationId);
    if (remembered !== null) return { ...(JSON.parse(remembered) as PushResult), replayed: true };

    const now = deps.now();
    const existing = tx.dataset && !tx.dataset.deleted ? tx.dataset : null;
    if (!existing) checkDatasetCount((await tx.countLiveDatasets()) + 1, caller.limits);
    const strategy: ConflictStrategy = existing?.conflictStrategy ?? "CRDT";
    const stored = await tx.getRecords(patches.map((patch) => patch.key));

    if (strategy === "OPTIMISTIC") {
      const conflicts = findConflicts(patches, stored);
      if (conflicts.length > 0) {
        return { datasetSyncCount: tx.dataset?.syncCount ?? 0, records: [], conflicts, replayed: false };
      }
    }

    const syncCount = (tx.dataset?.syncCount ?? 0) + 1;
    const merged = mergePatches(patches, stored, strategy, input.deviceId, now);
    const records: SyncRecord[] = [];
    const changed: SyncRecord[] = [];
    let usage: DatasetUsage = existing ?? { recordCount: 0, sizeBytes: 0 };
    for (const { patch, state } of merged) {
      const before = stored.get(patch.key) ?? null;
      if (before && !stateChanged(before, state)) {
        records.push(before);
        continue;
      }
      const record: SyncRecord = { ...state, syncCount, lastModifiedAt: now };
      usage = moveUsage(usage, before, record);
      records.push(record);
      changed.push(record);
    }
    checkUsageGrowth(existing ?? { recordCount: 0, sizeBytes: 0 }, usage, caller.limits);

    await tx.saveRecords(changed);
    await tx.saveDataset(nextDatasetRow(tx.dataset, caller.identityId, input, usage, syncCount, strategy, now));
    const result: PushResult = { datasetSyncCount: syncCount, records, conflicts: [], replayed: false };
    await tx.saveMutation({
      deviceId: input.deviceId,
      mutationId: input.mutationId,
      dataset: input.dataset,
      resultJson: JSON.stringify(result),
      createdAt: now,
    });
    return result;
  });
  if (!result.replayed && result.conflicts.length === 0) {
    deps.onCommitted?.({
      poolId: caller.poolId,
      identityId: caller.identityId,
      dataset: input.dataset,
      syncCount: result.datasetSyncCount,
      deviceId: input.deviceId,
      mutationId: input.mutationId,
      deleted: false,
      records: result.records.filter((record) => record.syncCount === result.datasetSyncCount),
      origin: "device",
    });
  }
  return result;
}

/** OPTIMISTIC: a patch must be based on the record's current sync count (0 for a key never seen). */
function findConflicts(patches: readonly CheckedPatch[], stored: Map<string, SyncRecord>): Conflict[] {
  const conflicts: Conflict[] = [];
  for (const patch of patches) {
    const current = stored.get(patch.key) ?? null;
    if (patch.baseSyncCount !== (current?.syncCount ?? 0)) {
      conflicts.push({ key: patch.key, serverRecord: current, patchSyncCount: patch.baseSyncCount });
    }
  }
  return conflicts;
}

/** Each patch as the record state it leaves behind. */
function mergePatches(
  patches: readonly CheckedPatch[],
  stored: Map<string, SyncRecord>,
  strategy: ConflictStrategy,
  deviceId: string,
  now: number,
): Array<{ patch: CheckedPatch; state: RecordState }> {
  return patches.map((patch) => {
    const before = stored.get(patch.key) ?? null;
    const incoming: RecordState = {
      key: patch.key,
      value: patch.value,
      kind: patch.op === "REMOVE" ? (before?.kind ?? patch.kind) : patch.kind,
      clock: patch.clock ?? stampAfter(before, deviceId, now),
      lastModifiedBy: deviceId,
      deviceLastModifiedAt: patch.deviceLastModifiedAt,
      deleted: patch.op === "REMOVE",
    };
    if (!before) return { patch, state: incoming };
    if (strategy === "OPTIMISTIC" && !(incoming.kind === "YDOC" && before.kind === "YDOC" && !incoming.deleted && !before.deleted)) {
      // The sync count check already decided this write wins; keep the stored clock ordering
      // monotonic so CRDT readers of the same record never see time go backwards.
      const clock = compareClocks(incoming.clock, before.clock) > 0 ? incoming.clock : stampAfter(before, deviceId, now);
      return { patch, state: { ...incoming, clock } };
    }
    return { patch, state: mergeRecordStates(toState(before), incoming) };
  });
}

/** A server-made clock later than the stored record's: the server has seen that write. */
function stampAfter(before: SyncRecord | null, deviceId: string, now: number): string {
  const seen = before ? parseClock(before.clock) : null;
  return formatClock(seen ? receiveClock(null, seen, now, deviceId) : { wallMs: now, counter: 0, deviceId });
}

function toState(record: SyncRecord): RecordState {
  const { syncCount: _syncCount, lastModifiedAt: _lastModifiedAt, ...state } = record;
  return state;
}

/**
 * Limits bind writes that grow a dataset. A push that shrinks or keeps a dataset that is already
 * over a (lowered) limit still commits, so users can always delete their way back under it.
 */
function checkUsageGrowth(before: DatasetUsage, after: DatasetUsage, limits: Limits): void {
  checkDatasetUsage(
    {
      recordCount: after.recordCount > before.recordCount ? after.recordCount : 0,
      sizeBytes: after.sizeBytes > before.sizeBytes ? after.sizeBytes : 0,
    },
    limits,
  );
}

function nextDatasetRow(
  previous: DatasetRow | null,
  identityId: string,
  input: PushRecordsInput,
  usage: DatasetUsage,
  syncCount: number,
  strategy: ConflictStrategy,
  now: number,
): DatasetRow {
  const live = previous && !previous.deleted ? previous : null;
  return {
    identityId,
    name: input.dataset,
    syncCount,
    recordCount: usage.recordCount,
    sizeBytes: usage.sizeBytes,
    conflictStrategy: strategy,
    createdAt: live?.createdAt ?? now,
    lastModifiedAt: now,
    lastModifiedBy: input.deviceId,
    deleted: false,
    deletedAtSyncCount: previous?.deletedAtSyncCount ?? null,
  };
}
