/**
 * The layout of a Yjs v1 update, read without integrating anything and without building a struct
 * object per item: where each client's block of structs starts and ends, which clocks it covers,
 * and the delete set. `ydoc-append.ts` uses it to splice an update into a stored one by copying
 * byte ranges, so a merge costs the size of the new edit plus a copy, not a decode and re-encode
 * of the whole document.
 *
 * The v1 format (Yjs 13, `UpdateEncoderV1`): varuint count of client blocks; per block the varuint
 * struct count, client and first clock, then structs (an info byte, then by kind: GC and Skip a
 * length; an item its origins, parent and content); then the delete set (varuint client count, per
 * client the client, a range count and (clock, length) pairs). Every field is self-delimiting,
 * so a block is a contiguous byte range that may be copied as it is.
 */

/** One client's block of structs in an update. */
export interface YdocClientBlock {
  client: number;
  /** Byte offset of the block's struct count. */
  start: number;
  /** Byte offset of the block's first struct. */
  bodyStart: number;
  /** Byte offset just past the block's last struct. */
  end: number;
  structs: number;
  /** The clock of the first struct, and just past the last one. */
  clock: number;
  clockEnd: number;
  /** The block holds a Skip (a gap: the update lacks some of the client's structs). */
  hasSkip: boolean;
}

/** A range of deleted clocks of one client. */
export interface YdocDeleteRange {
  clock: number;
  length: number;
}

/** What `scanYdocUpdate` finds. */
export interface YdocLayout {
  /** In the update's order. */
  blocks: YdocClientBlock[];
  /** Byte offset of the delete set. */
  structsEnd: number;
  /** The delete set, by client (ranges in the update's order). */
  deletes: Map<number, YdocDeleteRange[]>;
  /** Every block's client is smaller than the one before (the order Yjs writes and expects). */
  descending: boolean;
  /**
   * Structs a compaction would fold into the one before them: consecutive items of one client,
   * the second inserted right after the first (as typing makes them). Zero in compacted form.
   */
  fusable: number;
  /** Clocks inside deleted items whose content is still held (compaction drops it). */
  deletedContent: number;
  /**
   * Items whose integration may scan past many others: inserted with no left origin but a right
   * one (Yjs scans from the start of the list to the right origin), or sharing their left origin
   * with an earlier item of the update (each scans past the ones before it). Honest edits have few;
   * an update bomb (`test/helpers/ydoc-bomb.ts`) is made of them.
   */
  unanchored: number;
}

const BITS5 = 0x1f;
const BIT6 = 0x20;
const BIT7 = 0x40;
const BIT8 = 0x80;
const CONTENT_DELETED = 1;
const CONTENT_STRING = 4;
const SKIP = 10;

/** A cursor over the bytes; every read throws on running past the end. */
class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  uint8(): number {
    if (this.pos >= this.bytes.length) throw new RangeError("unexpected end of the Yjs update");
    return this.bytes[this.pos++]!;
  }

  varUint(): number {
    let value = 0;
    for (let multiplier = 1; ; multiplier *= 128) {
      const byte = this.uint8();
      value += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return value;
      if (multiplier > 2 ** 49) throw new RangeError("varuint too long in the Yjs update");
    }
  }

  /** Skips a varint, varuint or any run of bytes ending at the first byte below 0x80. */
  skipVar(): void {
    while (this.uint8() >= 0x80);
  }

  /** Skips a length-prefixed byte string and returns its start. */
  skipBytes(): number {
    const length = this.varUint();
    const start = this.pos;
    this.pos += length;
    if (this.pos > this.bytes.length) throw new RangeError("unexpected end of the Yjs update");
    return start;
  }

  /** Skips a lib0 `writeAny` value. */
  skipAny(): void {
    const type = this.uint8();
    if (type === 125) this.skipVar();
    else if (type === 124) this.pos += 4;
    else if (type === 123 || type === 122) this.pos += 8;
    else if (type === 119 || type === 116) this.skipBytes();
    else if (type === 118) for (let count = this.varUint(); count > 0; count--) (this.skipBytes(), this.skipAny());
    else if (type === 117) for (let count = this.varUint(); count > 0; count--) this.skipAny();
    else if (type < 120 || type > 127) throw new RangeError(`unknown value type ${type} in the Yjs update`);
  }
}

// Yjs counts a string's length in UTF-16 code units; the update holds UTF-8 (4 bytes = 2 units).
function utf16Length(bytes: Uint8Array, start: number, end: number): number {
  let units = 0;
  for (let index = start; index < end; index++) {
    const byte = bytes[index]!;
    if ((byte & 0xc0) !== 0x80) units += byte >= 0xf0 ? 2 : 1;
  }
  return units;
}

// Skips an item's content and returns its length in clocks.
function skipContent(reader: Reader, ref: number): number {
  switch (ref) {
    case CONTENT_DELETED:
      return reader.varUint();
    case 2: {
      const count = reader.varUint();
      for (let index = 0; index < count; index++) reader.skipBytes();
      return count;
    }
    case 3: // binary
    case 5: // embed (JSON text)
      reader.skipBytes();
      return 1;
    case CONTENT_STRING: {
      const start = reader.skipBytes();
      return utf16Length(reader.bytes, start, reader.pos);
    }
    case 6: // format: key, JSON text
      reader.skipBytes();
      reader.skipBytes();
      return 1;
    case 7: {
      const typeRef = reader.varUint();
      if (typeRef === 3 || typeRef === 5) reader.skipBytes(); // XML element and hook: a name
      return 1;
    }
    case 8: {
      const count = reader.varUint();
      for (let index = 0; index < count; index++) reader.skipAny();
      return count;
    }
    case 9: // sub-document: guid, options
      reader.skipBytes();
      reader.skipAny();
      return 1;
    default:
      throw new RangeError(`unknown content ${ref} in the Yjs update`);
  }
}

/**
 * Reads the layout of a v1 update in one pass. Throws a RangeError on bytes it cannot read
 * (callers fall back to Yjs's own merge). With `trackOrigins`, items sharing a left origin count
 * as `unanchored` too (a set of the origins: for incoming updates, which are small).
 */
export function scanYdocUpdate(bytes: Uint8Array, options: { trackOrigins?: boolean } = {}): YdocLayout {
  const reader = new Reader(bytes);
  const blocks: YdocClientBlock[] = [];
  let descending = true;
  let fusable = 0;
  let unanchored = 0;
  const origins = new Set<string>();
  // Live items as (client, clock, length) triples, to weigh against the delete set at the end.
  const itemRuns: number[] = [];
  for (let blockCount = reader.varUint(); blockCount > 0; blockCount--) {
    const start = reader.pos;
    const structs = reader.varUint();
    const client = reader.varUint();
    const firstClock = reader.varUint();
    const bodyStart = reader.pos;
    let clock = firstClock;
    let hasSkip = false;
    // The previous struct when it was a live string item: what the next one could fold into.
    let foldable = false;
    for (let index = 0; index < structs; index++) {
      const info = reader.uint8();
      const ref = info & BITS5;
      if (ref === 0 || ref === SKIP) {
        hasSkip ||= ref === SKIP;
        clock += reader.varUint();
        foldable = false;
        continue;
      }
      let originIsPrevious = false;
      if (info & BIT8) {
        const originClient = reader.varUint();
        const originClock = reader.varUint();
        originIsPrevious = originClient === client && originClock === clock - 1;
        if (options.trackOrigins && !originIsPrevious) {
          const origin = `${originClient}:${originClock}`;
          if (origins.has(origin)) unanchored++;
          else origins.add(origin);
        }
      } else if (info & BIT7) {
        unanchored++;
      }
      if (info & BIT7) (reader.skipVar(), reader.skipVar());
      if ((info & (BIT7 | BIT8)) === 0) {
        if (reader.varUint() === 1) reader.skipBytes();
        else (reader.skipVar(), reader.skipVar());
        if (info & BIT6) reader.skipBytes();
      }
      const length = skipContent(reader, ref);
      if (foldable && originIsPrevious && ref === CONTENT_STRING) fusable++;
      if (ref !== CONTENT_DELETED) itemRuns.push(client, clock, length);
      foldable = ref === CONTENT_STRING;
      clock += length;
    }
    if (blocks.length > 0 && client >= blocks[blocks.length - 1]!.client) descending = false;
    blocks.push({ client, start, bodyStart, end: reader.pos, structs, clock: firstClock, clockEnd: clock, hasSkip });
  }
  const structsEnd = reader.pos;
  const deletes = new Map<number, YdocDeleteRange[]>();
  for (let clientCount = reader.varUint(); clientCount > 0; clientCount--) {
    const client = reader.varUint();
    let ranges = deletes.get(client);
    if (!ranges) deletes.set(client, (ranges = []));
    for (let rangeCount = reader.varUint(); rangeCount > 0; rangeCount--) ranges.push({ clock: reader.varUint(), length: reader.varUint() });
  }
  if (reader.pos !== bytes.length) throw new RangeError("trailing bytes after the Yjs update");
  return { blocks, structsEnd, deletes, descending, fusable, deletedContent: deletedContent(itemRuns, deletes), unanchored };
}

/** A client's ranges sorted by clock, overlapping and touching ones joined. */
export function normalizeDeleteRanges(ranges: readonly YdocDeleteRange[]): YdocDeleteRange[] {
  const sorted = [...ranges].filter((range) => range.length > 0).sort((a, b) => a.clock - b.clock);
  const joined: YdocDeleteRange[] = [];
  for (const range of sorted) {
    const last = joined[joined.length - 1];
    if (last && range.clock <= last.clock + last.length) last.length = Math.max(last.length, range.clock + range.length - last.clock);
    else joined.push({ ...range });
  }
  return joined;
}

/** Clocks of `[clock, clock + length)` inside `ranges` (normalized). */
export function coveredClocks(ranges: readonly YdocDeleteRange[], clock: number, length: number): number {
  // The first range that ends after `clock`, by binary search, then forward while they overlap.
  let low = 0;
  let high = ranges.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (ranges[middle]!.clock + ranges[middle]!.length <= clock) low = middle + 1;
    else high = middle;
  }
  let covered = 0;
  for (let index = low; index < ranges.length && ranges[index]!.clock < clock + length; index++) {
    const range = ranges[index]!;
    covered += Math.min(clock + length, range.clock + range.length) - Math.max(clock, range.clock);
  }
  return covered;
}

// Clocks of items with content that the delete set covers.
function deletedContent(itemRuns: readonly number[], deletes: ReadonlyMap<number, YdocDeleteRange[]>): number {
  if (deletes.size === 0) return 0;
  const normalized = new Map([...deletes].map(([client, ranges]) => [client, normalizeDeleteRanges(ranges)]));
  let total = 0;
  for (let index = 0; index < itemRuns.length; index += 3) {
    const ranges = normalized.get(itemRuns[index]!);
    if (ranges) total += coveredClocks(ranges, itemRuns[index + 1]!, itemRuns[index + 2]!);
  }
  return total;
}
