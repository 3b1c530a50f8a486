/**
 * Turns outbox rows into one push batch: at most one patch per key (the server rejects repeats)
 * and at most `maxPatches` keys (the server's limit is 1024).
 *
 * Coalescing must not change what the server ends up with. Per key the rows form runs:
 * - STRING writes and removes are last-writer-wins under clocks that only grow, so the last of
 *   them stands for all earlier rows;
 * - a run of YDOC updates joins into one update (`Y.mergeUpdates` via core), with the last clock;
 * - a run of JSON writes joins into one state (the join of each write's state), with the last clock;
 * - a YDOC update or JSON write that FOLLOWS another kind of row (a STRING write, a remove)
 *   cannot be folded into it (it joins the record as that row left it), so it starts a new
 *   segment that waits for the next batch.
 * Pure: rows in, patches out.
 */
import { decodeJsonState, encodeJsonState } from "../../core/json-codec.js";
import { mergeJsonStates } from "../../core/json-state.js";
import { mergeYdocValues } from "../../core/ydoc.js";
import type { Patch } from "../../core/types.js";
import type { OutboxRow } from "./rows.js";

/** The server's limit on patches per push. */
export const MAX_PATCHES_PER_PUSH = 1024;

export interface Batch {
  /** The outbox rows the batch covers. */
  seqs: number[];
  patches: Patch[];
}

interface Segment {
  rows: OutboxRow[];
  /** Closed once a joined row follows a row it cannot join: later rows wait for another batch. */
  closed: boolean;
}

/**
 * Builds a batch from `rows` (in seq order). `baseSyncCount` gives each key's server sync count
 * (the OPTIMISTIC base); `skipKeys` are left out (unresolved conflicts). Null when nothing is left.
 */
export function buildBatch(
  rows: readonly OutboxRow[],
  baseSyncCount: (key: string) => number,
  options: { maxPatches?: number; skipKeys?: ReadonlySet<string> } = {},
): Batch | null {
  const maxPatches = options.maxPatches ?? MAX_PATCHES_PER_PUSH;
  const segments = new Map<string, Segment>();
  for (const row of rows) {
    if (options.skipKeys?.has(row.key)) continue;
    let segment = segments.get(row.key);
    if (!segment) {
      if (segments.size >= maxPatches) continue;
      segment = { rows: [], closed: false };
      segments.set(row.key, segment);
    }
    if (segment.closed) continue;
    const previous = segment.rows.at(-1);
    if (previous && isJoined(row) && !(isJoined(previous) && previous.kind === row.kind)) {
      segment.closed = true;
      continue;
    }
    segment.rows.push(row);
  }
  if (segments.size === 0) return null;

  const seqs: number[] = [];
  const patches: Patch[] = [];
  for (const [key, segment] of segments) {
    for (const row of segment.rows) seqs.push(row.seq as number);
    patches.push(coalesce(segment.rows, baseSyncCount(key)));
  }
  return { seqs: seqs.sort((a, b) => a - b), patches };
}

/** A YDOC update or a JSON write: rows of a run join instead of replacing each other. */
function isJoined(row: OutboxRow): boolean {
  return row.op === "REPLACE" && (row.kind === "YDOC" || row.kind === "JSON");
}

/** One patch standing for a segment's rows (see the module comment). */
function coalesce(rows: readonly OutboxRow[], syncCount: number): Patch {
  const last = rows.at(-1) as OutboxRow;
  let value = last.value;
  if (isJoined(last)) {
    // The segment is one run of joined rows here: another row after the run would end it with
    // itself as `last`, and one before it would have closed the segment.
    const values = rows.map((row) => row.value as string);
    value =
      last.kind === "YDOC"
        ? values.reduce((merged, update) => mergeYdocValues(merged, update))
        : encodeJsonState(values.map(decodeJsonState).reduce(mergeJsonStates));
  }
  return {
    op: last.op,
    key: last.key,
    value,
    kind: last.kind,
    clock: last.clock,
    syncCount,
    deviceLastModifiedAt: last.deviceLastModifiedAt,
  };
}
