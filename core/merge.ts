/**
 * The merge of two states of one record: what the server does with a pushed patch against the
 * stored record, what a client does with a pulled record against its local one, and what an
 * identity merge does with two datasets' records. Pure and deterministic, so every replica that
 * has seen the same writes computes the same state.
 */
import { compareClocks } from "./clock.js";
import type { SyncRecord } from "./types.js";
import { mergeYdocValues, ydocValuesEqual } from "./ydoc.js";

/**
 * The replicated part of a record: everything but the server's bookkeeping (`syncCount`,
 * `lastModifiedAt`), which the server assigns after merging.
 */
export type RecordState = Omit<SyncRecord, "syncCount" | "lastModifiedAt">;

/**
 * The Yjs work a merge needs. The default runs it in place (`core/ydoc.ts`); the server passes
 * answers it computed beforehand in a time-limited worker, so no Yjs integration runs on its
 * event loop.
 */
export interface YdocMergeOps {
  /** `mergeYdocValues(a, b)`. */
  merge(a: string, b: string): string;
  /** `ydocValuesEqual(a, b)`. */
  equal(a: string, b: string): boolean;
}

/** Yjs work done in place, on the caller's thread. */
export const INLINE_YDOC_OPS: YdocMergeOps = { merge: mergeYdocValues, equal: ydocValuesEqual };

/** The fields of a state that decide whether it takes part in a YDOC merge. */
export type YdocSide = Pick<RecordState, "kind" | "deleted" | "value">;

/** True when joining `a` and `b` needs a Yjs merge (both live documents with different bytes). */
export function needsYdocMerge(a: YdocSide, b: YdocSide): boolean {
  return isLiveYdoc(a) && isLiveYdoc(b) && a.value !== b.value;
}

function isLiveYdoc(state: Pick<RecordState, "kind" | "deleted">): boolean {
  return state.kind === "YDOC" && !state.deleted;
}

// Code-unit order (never localeCompare: replicas must agree); null sorts first.
function compareStrings(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

// Orders write metadata: clock first, then the remaining fields only so that equal clocks with
// different metadata (a buggy or hostile device reusing a clock) still pick one side the same way
// everywhere. Never looks at the value: merged YDOC values differ from both inputs.
function compareMetadata(a: RecordState, b: RecordState): number {
  return (
    compareClocks(a.clock, b.clock) ||
    compareStrings(a.lastModifiedBy, b.lastModifiedBy) ||
    Math.sign(a.deviceLastModifiedAt - b.deviceLastModifiedAt)
  );
}

// The last-writer-wins order: a total order on whole states. On equal clocks a tombstone wins
// (a delete is never undone by a tie), then YDOC over STRING, then the greater value.
function compareLww(a: RecordState, b: RecordState): number {
  return (
    compareClocks(a.clock, b.clock) ||
    Number(a.deleted) - Number(b.deleted) ||
    compareStrings(a.kind, b.kind) ||
    compareStrings(a.value, b.value) ||
    compareMetadata(a, b)
  );
}

function liveYdocValue(state: RecordState): string {
  if (state.value === null) throw new TypeError(`live YDOC record ${state.key} has no value`);
  return state.value;
}

/**
 * The join of two states of the same key (`a.key === b.key`; a different key is a bug and throws).
 *
 * - Both YDOC and neither deleted: the value is `mergeYdocValues(a.value, b.value)` (both
 *   documents' edits, canonical bytes) and the other fields come from the side with the greater
 *   clock, so `clock` is the max.
 * - Otherwise (a tombstone on either side, kinds differ, or both STRING): last writer wins; the
 *   whole state of the side with the greater clock. Equal clocks pick deterministically: a
 *   tombstone first, then YDOC over STRING, then the greater value, then the other fields.
 *
 * Consequence for YDOC: a document that was removed and then written again with a greater clock
 * restarts from that write alone; edits made before the removal are gone.
 *
 * Laws (property-tested in `test/unit/core-merge.test.ts`): commutative and idempotent always
 * (for YDOC, idempotent in document content; the first merge may canonicalize the bytes);
 * associative always EXCEPT when a tombstone or STRING state ranks strictly between two live
 * YDOC states in clock order, e.g. live doc A (clock 1), REMOVE (clock 2), restarted doc C
 * (clock 3): `(A ⊔ REMOVE) ⊔ C = C` but `A ⊔ (REMOVE ⊔ C) = A ⊔ C = A+C`. No join on these
 * states can have both "restart after removal" and live-document merging, since the
 * tombstone keeps no trace of what it removed. Replicas still converge because every write
 * goes through the server, which merges in one order and hands out the result. A full lattice
 * would need the record to carry the clock of its document's generation (the removal it
 * restarted after).
 */
export function mergeRecordStates(a: RecordState, b: RecordState, ydoc: YdocMergeOps = INLINE_YDOC_OPS): RecordState {
  if (a.key !== b.key) {
    throw new TypeError(`mergeRecordStates: keys differ (${a.key} and ${b.key})`);
  }
  if (isLiveYdoc(a) && isLiveYdoc(b)) {
    const winner = compareMetadata(a, b) >= 0 ? a : b;
    const aValue = liveYdocValue(a);
    const bValue = liveYdocValue(b);
    // The same text is the same document: skip the Yjs round trip (the common re-push case).
    const value = aValue === bValue ? aValue : ydoc.merge(aValue, bValue);
    return { ...winner, value };
  }
  return compareLww(a, b) >= 0 ? a : b;
}

/**
 * Whether `after` differs from `before` as stored, which decides whether the record gets the
 * push's new sync count (and shows up in delta pulls). `before` is null for a new key. Two
 * live YDOC values count as equal when they hold the same document state, even if their bytes
 * differ (one not yet canonical), so re-sending a known document is not a change.
 */
export function stateChanged(before: RecordState | null, after: RecordState, ydoc: YdocMergeOps = INLINE_YDOC_OPS): boolean {
  if (before === null) return true;
  if (
    before.key !== after.key ||
    before.kind !== after.kind ||
    before.deleted !== after.deleted ||
    before.clock !== after.clock ||
    before.lastModifiedBy !== after.lastModifiedBy ||
    before.deviceLastModifiedAt !== after.deviceLastModifiedAt
  ) {
    return true;
  }
  if (before.value === after.value) return false;
  if (isLiveYdoc(before) && before.value !== null && after.value !== null) {
    return !ydoc.equal(before.value, after.value);
  }
  return true;
}
