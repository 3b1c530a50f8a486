/**
 * Which of this device's writes of one key a merge from the server beat (the `overwritten`
 * event): a STRING value replaced by a later remote write or removal, a JSON field replaced or
 * removed by a later remote write to it, to a field inside it or to a parent. A write is reported
 * once, by the merge that makes it lose, and only when what shows differs from what it wrote.
 */
import { compareClocks } from "../../core/clock.js";
import { decodeJsonState } from "../../core/json-codec.js";
import { listOverwrittenJsonWrites } from "../../core/json-overwritten.js";
import { EMPTY_JSON_STATE, mergeJsonStates, type JsonState } from "../../core/json-state.js";
import type { RecordState } from "../../core/merge.js";
import type { OverwrittenReport } from "../events.js";
import type { OutboxRow } from "./rows.js";

/**
 * The reports for `key`: `rows` are this device's writes of it that the server had not
 * acknowledged before this merge (in write order), `before` the local view before the merge and
 * `after` the merged one.
 */
export function findOverwritten(
  dataset: string,
  key: string,
  rows: readonly OutboxRow[],
  before: RecordState,
  after: RecordState,
): OverwrittenReport[] {
  const last = rows.at(-1);
  if (!last) return [];
  if (last.kind === "JSON") return jsonLosses(dataset, key, rows, before, after);
  if (last.kind !== "STRING" || last.op !== "REPLACE") return [];
  // Already lost at an earlier merge, or the merge kept it.
  if (before.deleted || before.clock !== last.clock || after.clock === last.clock) return [];
  if (compareClocks(after.clock, last.clock) < 0) return [];
  if (!after.deleted && after.value === last.value) return [];
  return [
    {
      dataset,
      key,
      local: { value: last.value, clock: last.clock },
      remote: { value: after.deleted ? undefined : after.value, clock: after.clock },
    },
  ];
}

function stateOf(record: RecordState): JsonState {
  return record.kind === "JSON" && !record.deleted && record.value !== null ? decodeJsonState(record.value) : EMPTY_JSON_STATE;
}

function jsonLosses(dataset: string, key: string, rows: readonly OutboxRow[], before: RecordState, after: RecordState): OverwrittenReport[] {
  // The field writes since this device's last removal of the record: that removal hid the
  // earlier ones itself, no other device did.
  let pending: JsonState = EMPTY_JSON_STATE;
  for (const row of rows) {
    if (row.kind !== "JSON") continue;
    if (row.op === "REMOVE") pending = EMPTY_JSON_STATE;
    else if (row.value !== null) pending = mergeJsonStates(pending, decodeJsonState(row.value));
  }
  if (pending === EMPTY_JSON_STATE) return [];
  const earlier = new Set(listOverwrittenJsonWrites(pending, stateOf(before)).map((lost) => `${lost.localClock} ${lost.path}`));
  return listOverwrittenJsonWrites(pending, stateOf(after))
    .filter((lost) => !earlier.has(`${lost.localClock} ${lost.path}`))
    .map((lost) => ({
      dataset,
      key,
      path: lost.path,
      local: { value: lost.localValue, clock: lost.localClock },
      remote: { value: lost.winningValue, clock: lost.winningClock },
    }));
}
