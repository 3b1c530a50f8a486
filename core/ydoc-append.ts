/**
 * The server's merge of one pushed YDOC update into the stored document, done incrementally.
 *
 * `mergeYdocValues` (canonical: load both into a `Y.Doc` and re-encode) costs the size of the whole
 * document on every edit: tens to hundreds of times what Yjs spends applying the edit. Here the
 * update is spliced into the stored update instead: each client's structs form one contiguous
 * block of bytes (`ydoc-layout.ts`), so a new client's block is copied in at its place in Yjs's
 * order (clients descending), a block that continues a stored client's clocks is appended to that
 * client's block, and the two delete sets are joined. Nothing is integrated; the result is a valid
 * v1 update holding both documents, which any Yjs (and `mergeYdocValues`) reads as it reads its own.
 *
 * What splicing gives up is the canonical form: the bytes depend on the arrival order, deleted
 * text keeps its content, and a device's consecutive keystrokes stay separate structs. So the
 * merge compacts (`canonicalYdocValue`) when the slack a compaction would remove (foldable structs,
 * deleted content, new deletions) reaches a share of the document (`YDOC_COMPACTION`). Size limits
 * are checked by the callers on the value as it is stored, compacted or not.
 *
 * An update that does not fit the splice (it overlaps a stored client's clocks other than by
 * continuing them, the stored value has gaps, or the bytes use something the layout reader does
 * not know) falls back to the canonical merge, which is always right.
 */
import * as Y from "yjs";
import { decodeBase64, encodeBase64 } from "./base64.js";
import { canonicalYdocValue, mergeYdocValues } from "./ydoc.js";
import { coveredClocks, normalizeDeleteRanges, scanYdocUpdate, type YdocClientBlock, type YdocDeleteRange, type YdocLayout } from "./ydoc-layout.js";

/**
 * When a spliced document is compacted: its slack reaches `minSlack` and `slackShare` of its
 * structs, or it holds `maxUnanchored` items that may be costly to integrate (see `YdocLayout`).
 * An update with more than `maxUnanchoredPerUpdate` of those is merged canonically, which
 * integrates it (in the server's worker, under its time limit) instead of storing it unchecked.
 */
export interface YdocCompaction {
  minSlack: number;
  slackShare: number;
  maxUnanchored: number;
  maxUnanchoredPerUpdate: number;
}

/** The thresholds the server uses. */
export const YDOC_COMPACTION: Readonly<YdocCompaction> = Object.freeze({ minSlack: 64, slackShare: 0.25, maxUnanchored: 1024, maxUnanchoredPerUpdate: 16 });

/** The result of merging an update into a stored document. */
export interface YdocMergeResult {
  /** The merged document; `stored` itself (the same string) when nothing changed. */
  value: string;
  /** The update added structs or deletions the stored document did not have. */
  changed: boolean;
  /** The merge compacted the document (or fell back to the canonical merge). */
  compacted: boolean;
}

/**
 * Merges `incoming` into `stored` (both valid base64 Yjs v1 updates): spliced, and compacted
 * when the slack calls for it. The result holds exactly both documents' edits.
 */
export function mergeYdocIncrementally(stored: string, incoming: string, compaction: YdocCompaction = YDOC_COMPACTION): YdocMergeResult {
  const storedBytes = decodeBase64(stored);
  const incomingBytes = decodeBase64(incoming);
  const spliced = spliceYdocUpdate(storedBytes, incomingBytes, compaction);
  if (spliced === "unchanged") return { value: stored, changed: false, compacted: false };
  if (spliced === "fallback") {
    const value = mergeYdocValues(stored, incoming);
    return { value, changed: canonicalYdocValue(stored) !== value, compacted: true };
  }
  const value = encodeBase64(spliced.bytes);
  if (!spliced.compactionDue) return { value, changed: true, compacted: false };
  return { value: canonicalYdocValue(value), changed: true, compacted: true };
}

/** A splice's result: the merged bytes and whether their slack calls for a compaction. */
export interface YdocSplice {
  bytes: Uint8Array;
  compactionDue: boolean;
}

/**
 * Splices update `incoming` into update `stored`. "unchanged" when `stored` already holds every
 * struct and deletion of `incoming`; "fallback" when the splice does not apply (see the header).
 */
export function spliceYdocUpdate(stored: Uint8Array, incoming: Uint8Array, compaction: YdocCompaction = YDOC_COMPACTION): YdocSplice | "unchanged" | "fallback" {
  let storedLayout: YdocLayout;
  let incomingLayout: YdocLayout;
  try {
    storedLayout = scanYdocUpdate(stored);
    incomingLayout = scanYdocUpdate(incoming, { trackOrigins: true });
  } catch {
    return "fallback";
  }
  const storedBlocks = new Map(storedLayout.blocks.map((block) => [block.client, block]));
  const storedDeletes = new Map([...storedLayout.deletes].map(([client, ranges]) => [client, normalizeDeleteRanges(ranges)]));
  if (covers(storedBlocks, storedDeletes, incomingLayout)) return "unchanged";
  // Splicing integrates nothing, so it would store an update bomb split over two pushes
  // unchecked; the canonical merge integrates it under the worker's time limit instead.
  if (!storedLayout.descending || incomingLayout.unanchored > compaction.maxUnanchoredPerUpdate) return "fallback";

  // Structs of a stored client that the update repeats are cut off first (Yjs slices items).
  const knownClocks = new Map<number, number>();
  for (const block of incomingLayout.blocks) {
    const storedBlock = storedBlocks.get(block.client);
    if (!storedBlock || block.structs === 0) continue;
    if (storedBlock.hasSkip || block.clock < storedBlock.clock || block.clock > storedBlock.clockEnd) return "fallback";
    if (block.clock < storedBlock.clockEnd) knownClocks.set(block.client, storedBlock.clockEnd);
  }
  if (knownClocks.size > 0) {
    incoming = Y.diffUpdate(incoming, Y.encodeStateVector(knownClocks));
    try {
      incomingLayout = scanYdocUpdate(incoming);
    } catch {
      return "fallback";
    }
  }
  const added: YdocClientBlock[] = [];
  const continued = new Map<number, YdocClientBlock>();
  for (const block of incomingLayout.blocks) {
    if (block.structs === 0) continue;
    const storedBlock = storedBlocks.get(block.client);
    if (!storedBlock) added.push(block);
    else if (block.clock === storedBlock.clockEnd) continued.set(block.client, block);
    else if (block.clockEnd > storedBlock.clockEnd) return "fallback";
  }
  added.sort((a, b) => b.client - a.client);

  const out = new ByteWriter(stored.length + incoming.length + 32);
  out.varUint(storedLayout.blocks.length + added.length);
  // Stored blocks are copied in runs; a run breaks where a block is inserted or continued.
  let runStart = storedLayout.blocks[0]?.start ?? storedLayout.structsEnd;
  let next = 0;
  for (const block of storedLayout.blocks) {
    const continuation = continued.get(block.client);
    if (next < added.length && added[next]!.client > block.client) {
      out.bytes(stored.subarray(runStart, block.start));
      for (; next < added.length && added[next]!.client > block.client; next++) out.bytes(incoming.subarray(added[next]!.start, added[next]!.end));
      runStart = block.start;
    }
    if (continuation) {
      out.bytes(stored.subarray(runStart, block.start));
      out.varUint(block.structs + continuation.structs);
      out.varUint(block.client);
      out.varUint(block.clock);
      out.bytes(stored.subarray(block.bodyStart, block.end));
      out.bytes(incoming.subarray(continuation.bodyStart, continuation.end));
      runStart = block.end;
    }
  }
  out.bytes(stored.subarray(runStart, storedLayout.structsEnd));
  for (; next < added.length; next++) out.bytes(incoming.subarray(added[next]!.start, added[next]!.end));

  const deletes = joinDeletes(storedDeletes, incomingLayout.deletes);
  out.varUint(deletes.length);
  for (const [client, ranges] of deletes) {
    out.varUint(client);
    out.varUint(ranges.length);
    for (const range of ranges) (out.varUint(range.clock), out.varUint(range.length));
  }

  let structs = 0;
  for (const block of storedLayout.blocks) structs += block.structs;
  for (const block of incomingLayout.blocks) structs += block.structs;
  const newDeletions = newlyDeletedClocks(storedDeletes, incomingLayout.deletes);
  // Each continued block may fold into the stored block's last struct.
  const slack = storedLayout.fusable + storedLayout.deletedContent + incomingLayout.fusable + continued.size + newDeletions;
  const compactionDue =
    (slack >= compaction.minSlack && slack >= compaction.slackShare * structs) || storedLayout.unanchored + incomingLayout.unanchored >= compaction.maxUnanchored;
  return { bytes: out.finish(), compactionDue };
}

// Every struct of `incoming` is in a stored block without gaps, and every deletion is stored.
function covers(storedBlocks: ReadonlyMap<number, YdocClientBlock>, storedDeletes: ReadonlyMap<number, YdocDeleteRange[]>, incoming: YdocLayout): boolean {
  for (const block of incoming.blocks) {
    if (block.structs === 0) continue;
    const stored = storedBlocks.get(block.client);
    if (!stored || stored.hasSkip || block.clock < stored.clock || block.clockEnd > stored.clockEnd) return false;
  }
  for (const [client, ranges] of incoming.deletes) {
    const stored = storedDeletes.get(client) ?? [];
    for (const range of ranges) if (coveredClocks(stored, range.clock, range.length) < range.length) return false;
  }
  return true;
}

// Both delete sets as Yjs writes one: clients descending, each client's ranges sorted and joined.
function joinDeletes(stored: ReadonlyMap<number, YdocDeleteRange[]>, incoming: ReadonlyMap<number, YdocDeleteRange[]>): Array<[number, YdocDeleteRange[]]> {
  const joined = new Map(stored);
  for (const [client, ranges] of incoming) joined.set(client, normalizeDeleteRanges([...(joined.get(client) ?? []), ...ranges]));
  return [...joined].filter(([, ranges]) => ranges.length > 0).sort((a, b) => b[0] - a[0]);
}

// Clocks `incoming` deletes that `stored` (normalized) did not.
function newlyDeletedClocks(stored: ReadonlyMap<number, YdocDeleteRange[]>, incoming: ReadonlyMap<number, YdocDeleteRange[]>): number {
  let total = 0;
  for (const [client, ranges] of incoming) {
    const known = stored.get(client) ?? [];
    for (const range of normalizeDeleteRanges(ranges)) total += range.length - coveredClocks(known, range.clock, range.length);
  }
  return total;
}

/** A growable byte buffer with lib0's varuint encoding. */
class ByteWriter {
  private buffer: Uint8Array;
  private length = 0;
  constructor(capacity: number) {
    this.buffer = new Uint8Array(capacity);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  varUint(value: number): void {
    this.reserve(8);
    while (value > 0x7f) {
      this.buffer[this.length++] = 0x80 | (value % 128);
      value = Math.floor(value / 128);
    }
    this.buffer[this.length++] = value;
  }

  bytes(chunk: Uint8Array): void {
    this.reserve(chunk.length);
    this.buffer.set(chunk, this.length);
    this.length += chunk.length;
  }

  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}
