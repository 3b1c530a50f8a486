/**
 * What a push would do to its dataset, computed from the stored state without writing anything:
 * each patch merged into its stored record (core/merge), OPTIMISTIC conflicts, and finally the
 * records to store with the dataset's new usage (limits checked). `apply-push.ts` computes a plan
 * under the dataset lock; with a sync trigger it computes one first outside the commit too, shows
 * it to the trigger, and applies the trigger's answer to the plan (`trigger-decisions.ts`).
 */
import { compareClocks, formatClock, parseClock, receiveClock } from "../../core/clock.js";
import { assertKindKept } from "../../core/kind-change.js";
import { checkDatasetUsage } from "../../core/limits.js";
import { INLINE_YDOC_OPS, mergeRecordStates, stateChanged, type RecordState, type YdocMergeOps } from "../../core/merge.js";
import type { ConflictStrategy, Limits, SyncRecord } from "../../core/types.js";
import { stampRecord } from "../change.js";
import type { DatasetRow } from "../storage/storage.js";
import type { Conflict } from "./types.js";
import { moveUsage, type DatasetUsage } from "./usage.js";
import { isLiveRecord, jsonRemovalState, mergeJsonRecord } from "./json-patch.js";
import type { CheckedPatch } from "./validate-push.js";

/** One record the push touches: its stored state and the state the push leaves behind. */
export interface PlannedRecord {
  key: string;
  before: SyncRecord | null;
  state: RecordState;
  /** True when the sync trigger decided this record (changed, added or removed it). */
  byTrigger: boolean;
}

/** A push's planned records, in answer order: the patches' keys, then keys a trigger added. */
export interface PushPlan {
  strategy: ConflictStrategy;
  records: PlannedRecord[];
  /** The Yjs answers the plan was made with (prepared in the worker pool by the server). */
  ydoc: YdocMergeOps;
}

/** What a plan turns into once the new sync count is known. */
export interface FinalPush {
  /** Every planned record as the answer shows it (unchanged ones as stored). */
  records: SyncRecord[];
  /** The records to save, stamped with the new sync count. */
  changed: SyncRecord[];
  /** Keys of `changed` the trigger decided. */
  triggerKeys: Set<string>;
  usage: DatasetUsage;
}

/** OPTIMISTIC: a patch must be based on the record's current sync count (0 for a key never seen). */
export function findConflicts(patches: readonly CheckedPatch[], stored: Map<string, SyncRecord>): Conflict[] {
  const conflicts: Conflict[] = [];
  for (const patch of patches) {
    const current = stored.get(patch.key) ?? null;
    if (patch.baseSyncCount !== (current?.syncCount ?? 0)) {
      conflicts.push({ key: patch.key, serverRecord: current, patchSyncCount: patch.baseSyncCount });
    }
  }
  return conflicts;
}

/**
 * Each patch merged into its stored record. YDOC merges go through `ydoc`: the server passes
 * answers prepared off the event loop (`server/ydoc/ydoc-merges.ts`); the default works in place.
 * @throws SyncpoolError BAD_USER_INPUT (`reason: KIND_CHANGE`) when a patch changes a live key's kind.
 */
export function planPush(
  patches: readonly CheckedPatch[],
  stored: Map<string, SyncRecord>,
  strategy: ConflictStrategy,
  deviceId: string,
  now: number,
  ydoc: YdocMergeOps = INLINE_YDOC_OPS,
): PushPlan {
  const records = patches.map((patch, index): PlannedRecord => {
    const before = stored.get(patch.key) ?? null;
    // A JSON record whose state shows nothing counts as removed: the key may take another kind.
    // (Decoding the state to see that is only worth it when the kinds differ.)
    const kindHolder = before && before.kind !== patch.kind ? { kind: before.kind, deleted: !isLiveRecord(before) } : before;
    assertKindKept(kindHolder, { key: patch.key, kind: patch.kind, remove: patch.op === "REMOVE" }, `patches[${index}].kind`);
    if (patch.jsonState || isJsonRemoval(patch, before)) {
      // JSON: state merged with state in every strategy (an OPTIMISTIC patch that passed its sync
      // count check merges too: its fields win by clock, and fields it does not name survive).
      const incoming = patch.jsonState ?? jsonRemovalState(patch.clock ?? stampAfter(before?.clock ?? null, deviceId, now));
      return { key: patch.key, before, state: mergeJsonRecord(before, patch.key, incoming, deviceId, patch.deviceLastModifiedAt), byTrigger: false };
    }
    const incoming: RecordState = {
      key: patch.key,
      value: patch.value,
      kind: patch.op === "REMOVE" ? (before?.kind ?? patch.kind) : patch.kind,
      clock: patch.clock ?? stampAfter(before?.clock ?? null, deviceId, now),
      lastModifiedBy: deviceId,
      deviceLastModifiedAt: patch.deviceLastModifiedAt,
      deleted: patch.op === "REMOVE",
    };
    if (!before) return { key: patch.key, before, state: incoming, byTrigger: false };
    if (strategy === "OPTIMISTIC" && !(incoming.kind === "YDOC" && before.kind === "YDOC" && !incoming.deleted && !before.deleted)) {
      // The sync count check already decided this write wins; keep the stored clock ordering
      // monotonic so CRDT readers of the same record never see time go backwards.
      const clock = compareClocks(incoming.clock, before.clock) > 0 ? incoming.clock : stampAfter(before.clock, deviceId, now);
      return { key: patch.key, before, state: { ...incoming, clock }, byTrigger: false };
    }
    return { key: patch.key, before, state: mergeRecordStates(toState(before), incoming, ydoc), byTrigger: false };
  });
  return { strategy, records, ydoc };
}

/**
 * A REMOVE that removes a JSON record: of a live JSON record, or with `kind: JSON` where nothing
 * live is stored. Kept as a state (not a tombstone) so field writes older than it stay hidden.
 */
function isJsonRemoval(patch: CheckedPatch, before: SyncRecord | null): boolean {
  if (patch.op !== "REMOVE") return false;
  if (before !== null && !before.deleted) return before.kind === "JSON";
  return patch.kind === "JSON";
}

/** True when the planned state differs from what is stored (a new key always does). */
export function isChange(record: PlannedRecord, ydoc: YdocMergeOps): boolean {
  return record.before === null || stateChanged(record.before, record.state, ydoc);
}

/**
 * The plan's records stamped with `syncCount`, and the dataset's usage after them.
 * @throws SyncpoolError LIMIT_EXCEEDED when the push would grow the dataset over a limit.
 */
export function finalizePush(plan: PushPlan, existing: DatasetRow | null, syncCount: number, now: number, limits: Limits): FinalPush {
  const start: DatasetUsage = existing ?? { recordCount: 0, sizeBytes: 0 };
  const result: FinalPush = { records: [], changed: [], triggerKeys: new Set(), usage: start };
  for (const planned of plan.records) {
    if (!isChange(planned, plan.ydoc)) {
      result.records.push(planned.before!);
      continue;
    }
    const record = stampRecord(planned.state, syncCount, now);
    result.usage = moveUsage(result.usage, planned.before, record);
    result.records.push(record);
    result.changed.push(record);
    if (planned.byTrigger) result.triggerKeys.add(record.key);
  }
  checkUsageGrowth(start, result.usage, limits);
  return result;
}

/** A server-made clock later than `after` (or now when there is none): the server has seen that write. */
export function stampAfter(after: string | null, deviceId: string, now: number): string {
  const seen = after ? parseClock(after) : null;
  return formatClock(seen ? receiveClock(null, seen, now, deviceId) : { wallMs: now, counter: 0, deviceId });
}

/** A stored record's replicated part. */
export function toState(record: SyncRecord): RecordState {
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
