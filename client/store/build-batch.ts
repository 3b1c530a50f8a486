/**
 * Turns outbox rows into one push batch: at most one patch per key (the server rejects repeats)
 * and at most `maxPatches` keys (the server's limit is 1024).
 *
 * Coalescing must not change what the server ends up with. Per key the rows form runs:
 * - STRING writes and removes are last-writer-wins under clocks that only grow, so the last of
 *   them stands for all earlier rows;
 * - a run of YDOC updates joins into one update (`Y.mergeUpdates` via core), with the last clock;
 * - a YDOC update that FOLLOWS a STRING write or a remove cannot be folded into it (it joins the
 *   record as the remove left it), so it starts a new segment that waits for the next batch.
 * Pure: rows in, patches out.
 */
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
  /** Closed once a YDOC update follows a non-YDOC row: later rows wait for another batch. */
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
    if (previous && isYdocUpdate(row) && !isYdocUpdate(previous)) {
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

function isYdocUpdate(row: OutboxRow): boolean {
  return row.op === "REPLACE" && row.kind === "YDOC";
}

/** One patch standing for a segment's rows (see the module comment). */
function coalesce(rows: readonly OutboxRow[], syncCount: number): Patch {
  const last = rows.at(-1) as OutboxRow;
  let value = last.value;
  if (isYdocUpdate(last)) {
    // The segment is all YDOC updates here: a non-YDOC row after an update would end the run
    // with itself as `last`, and one before an update would have closed the segment.
    value = rows.map((row) => row.value as string).reduce((merged, update) => mergeYdocValues(merged, update));
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
