/**
 * What merging one identity's dataset into another's would do, computed from both stored states
 * without writing anything (`merge-identities.ts` plans every dataset first, checks limits, and
 * only then writes). Record by record under the merge rules of `core/merge.ts`:
 *
 * - CRDT: each key's two states are joined with `mergeRecordStates` (LWW by clock, YDOC merged);
 *   two live JSON records merge their states field by field.
 * - OPTIMISTIC: the target keeps every record it has; a source record for a key the target never
 *   had is added; a source record whose content (value, deleted, kind) differs from the target's
 *   goes to the conflict copy instead (`conflicts`), for the app to resolve.
 *
 * Keys only the source holds are taken as they are, tombstones included (the join of "absent"
 * and a state is that state).
 */
import { checkDatasetUsage } from "../../core/limits.js";
import { INLINE_YDOC_OPS, mergeRecordStates, stateChanged, type RecordState, type YdocMergeOps } from "../../core/merge.js";
import type { ConflictStrategy, Limits, SyncRecord } from "../../core/types.js";
import { decodeJsonState } from "../../core/json-codec.js";
import { mergeJsonRecord } from "./json-patch.js";
import type { DatasetRow } from "../storage/storage.js";
import { prepareYdocMerges } from "../ydoc/ydoc-merges.js";
import type { YdocWork } from "../ydoc/ydoc-work.js";
import { moveUsage, type DatasetUsage } from "./usage.js";

/** The outcome of merging incoming records into one dataset. */
export interface DatasetMergePlan {
  /** States to store (each gets the merge's sync count); empty when nothing changes. */
  changes: RecordState[];
  /** OPTIMISTIC only: incoming records that differ from the target's, for the conflict copy. */
  conflicts: SyncRecord[];
  /** The dataset's usage before and after. */
  usageBefore: DatasetUsage;
  usageAfter: DatasetUsage;
}

/**
 * Plans merging `incoming` into a dataset whose live row is `live` (null when it does not exist
 * or was deleted) and whose stored records are `stored`. YDOC merges and comparisons go through
 * `ydoc` (see `prepareDatasetMerge`; the default works in place).
 */
export function planDatasetMerge(
  live: DatasetRow | null,
  stored: readonly SyncRecord[],
  incoming: readonly SyncRecord[],
  strategy: ConflictStrategy,
  ydoc: YdocMergeOps = INLINE_YDOC_OPS,
): DatasetMergePlan {
  const byKey = new Map(stored.map((record) => [record.key, record]));
  const usageBefore: DatasetUsage = live ? { recordCount: live.recordCount, sizeBytes: live.sizeBytes } : { recordCount: 0, sizeBytes: 0 };
  let usageAfter = usageBefore;
  const changes: RecordState[] = [];
  const conflicts: SyncRecord[] = [];
  for (const record of incoming) {
    const before = live ? (byKey.get(record.key) ?? null) : null;
    const theirs = toState(record);
    let state: RecordState;
    if (before === null) {
      state = theirs;
    } else if (strategy === "OPTIMISTIC") {
      if (!sameContent(before, record, ydoc)) conflicts.push(record);
      continue;
    } else if (before.kind === "JSON" && record.kind === "JSON" && !before.deleted && !record.deleted && record.value !== null) {
      state = mergeJsonRecord(before, record.key, decodeJsonState(record.value), record.lastModifiedBy, record.deviceLastModifiedAt);
      if (!stateChanged(toState(before), state)) continue;
    } else {
      state = mergeRecordStates(toState(before), theirs, ydoc);
      if (!stateChanged(toState(before), state, ydoc)) continue;
    }
    changes.push(state);
    usageAfter = moveUsage(usageAfter, before, state);
  }
  return { changes, conflicts, usageBefore, usageAfter };
}

/**
 * `planDatasetMerge` with its Yjs work done first by `work` (the server's worker pool): the
 * merges a CRDT dataset needs, the document comparisons an OPTIMISTIC one needs.
 */
export async function prepareDatasetMerge(
  work: YdocWork,
  live: DatasetRow | null,
  stored: readonly SyncRecord[],
  incoming: readonly SyncRecord[],
  strategy: ConflictStrategy,
): Promise<DatasetMergePlan> {
  const byKey = new Map(live ? stored.map((record) => [record.key, record]) : []);
  const pairs = incoming.map((record) => ({ before: byKey.get(record.key) ?? null, incoming: record }));
  const ydoc =
    strategy === "OPTIMISTIC"
      ? await prepareYdocMerges(work, [], pairs.flatMap(({ before, incoming: record }) => (before && bothYdoc(before, record) ? [[before.value!, record.value!] as [string, string]] : [])))
      : await prepareYdocMerges(work, pairs);
  return planDatasetMerge(live, stored, incoming, strategy, ydoc);
}

/**
 * Limits bind a merge the way they bind a push: a dataset may not grow past them (one already
 * over a lowered limit may stay there if the merge does not grow it).
 * @throws SyncpoolError LIMIT_EXCEEDED.
 */
export function checkMergeGrowth(plan: Pick<DatasetMergePlan, "usageBefore" | "usageAfter">, limits: Limits): void {
  const { usageBefore: before, usageAfter: after } = plan;
  checkDatasetUsage(
    {
      recordCount: after.recordCount > before.recordCount ? after.recordCount : 0,
      sizeBytes: after.sizeBytes > before.sizeBytes ? after.sizeBytes : 0,
    },
    limits,
  );
}

/**
 * Whether two records hold the same content (kind, deleted, value; documents by state), whoever
 * wrote them: the same value written on two devices is no conflict worth a copy.
 */
function sameContent(a: SyncRecord, b: SyncRecord, ydoc: YdocMergeOps): boolean {
  if (a.kind !== b.kind || a.deleted !== b.deleted) return false;
  if (a.deleted || a.value === b.value) return true;
  return bothYdoc(a, b) && ydoc.equal(a.value!, b.value!);
}

// Two live documents with different bytes: comparing them takes Yjs.
function bothYdoc(a: SyncRecord, b: SyncRecord): boolean {
  return a.kind === "YDOC" && b.kind === "YDOC" && !a.deleted && !b.deleted && a.value !== null && b.value !== null && a.value !== b.value;
}

/** A stored record's replicated state (without the server's bookkeeping). */
export function toState(record: SyncRecord): RecordState {
  const { syncCount: _syncCount, lastModifiedAt: _lastModifiedAt, ...state } = record;
  return state;
}
