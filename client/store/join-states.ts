/**
 * The local join of two states of one key. Two JSON states merge field by field
 * (core/json-state); everything else follows core/merge. The server joins JSON states the same
 * way, so the local view after a pull is what the server holds once pending writes arrive.
 */
import { decodeJsonState, encodeJsonState } from "../../core/json-codec.js";
import { latestJsonClock, mergeJsonStates } from "../../core/json-state.js";
import { mergeRecordStates, type RecordState } from "../../core/merge.js";

/** Joins `a` and `b`: per field for two JSON states, else `mergeRecordStates`. */
export function joinStates(a: RecordState, b: RecordState): RecordState {
  if (a.kind !== "JSON" || b.kind !== "JSON" || a.deleted || b.deleted || a.value === null || b.value === null) {
    return mergeRecordStates(a, b);
  }
  const merged = mergeJsonStates(decodeJsonState(a.value), decodeJsonState(b.value));
  const winner = mergeRecordStates(a, b);
  return { ...winner, value: encodeJsonState(merged), clock: latestJsonClock(merged) ?? winner.clock };
}
