/**
 * Crafts Yjs (v1) updates that are small on the wire but quadratic to integrate: the "update
 * bombs" the server must refuse without blocking (`test/security/ydoc-bomb.test.ts`).
 *
 * Shape: an anchor string of `n` characters (client 0) in the root text "t", and `n` one-character
 * inserts, each with no left origin and a right origin at the i-th anchor character. Yjs
 * integrates clients from the highest id down and a client's structs in clock order, so the
 * inserts land in string order, and each one's conflict scan (`Item.integrate`) walks from the
 * start of the text past every earlier insert and anchor piece to its right origin (no left origin
 * means "concurrent with everything before it"): the i-th scans about 2i items, n² steps in all.
 *
 * - `many-clients`: insert i comes from its own client n - i (about 11 bytes per insert); over the
 *   clients-per-KiB budget.
 * - `one-client`: all inserts from client 1, as one run of structs (about 6 bytes per insert);
 *   inside every structural budget, so only the time limit stops it.
 * - `part`: `anchor` or `inserts` alone (each cheap to integrate by itself: the inserts wait for
 *   their missing anchor), for a bomb that only goes off when the server merges the two.
 *
 * The bytes are written by hand (lib0 varints, the v1 struct layout) because no honest Yjs
 * document produces this shape.
 */

/** Which bomb, and which part of it. */
export interface YdocBombOptions {
  clients: "many-clients" | "one-client";
  part?: "both" | "anchor" | "inserts";
}

/** Appends `value` as an unsigned LEB128 varint (lib0 `writeVarUint`). */
function writeVarUint(out: number[], value: number): void {
  while (value > 0x7f) {
    out.push(0x80 | (value & 0x7f));
    value = Math.floor(value / 128);
  }
  out.push(value);
}

/** Appends a UTF-8 string with its byte length (lib0 `writeVarString`). */
function writeVarString(out: number[], text: string): void {
  const bytes = new TextEncoder().encode(text);
  writeVarUint(out, bytes.length);
  for (const byte of bytes) out.push(byte);
}

const CONTENT_STRING = 4;
const HAS_RIGHT_ORIGIN = 0x40;

function writeInsert(out: number[], anchorIndex: number): void {
  out.push(CONTENT_STRING | HAS_RIGHT_ORIGIN);
  writeVarUint(out, 0); // right origin: client 0 ...
  writeVarUint(out, anchorIndex); // ... character `anchorIndex`
  writeVarString(out, "y");
}

/** A bomb of `inserts` conflicting one-character inserts (see the module comment). */
export function craftYdocBomb(inserts: number, options: YdocBombOptions = { clients: "many-clients" }): Uint8Array {
  const part = options.part ?? "both";
  const withAnchor = part !== "inserts";
  const withInserts = part !== "anchor";
  const out: number[] = [];
  const insertClients = withInserts ? (options.clients === "many-clients" ? inserts : 1) : 0;
  writeVarUint(out, insertClients + (withAnchor ? 1 : 0));
  if (withInserts && options.clients === "one-client") {
    writeVarUint(out, inserts); // structs
    writeVarUint(out, 1); // client
    writeVarUint(out, 0); // first clock
    for (let index = 0; index < inserts; index++) writeInsert(out, index);
  }
  if (withInserts && options.clients === "many-clients") {
    for (let index = 0; index < inserts; index++) {
      writeVarUint(out, 1);
      writeVarUint(out, inserts - index); // the later the character, the lower the client id
      writeVarUint(out, 0);
      writeInsert(out, index);
    }
  }
  if (withAnchor) {
    writeVarUint(out, 1);
    writeVarUint(out, 0);
    writeVarUint(out, 0);
    out.push(CONTENT_STRING);
    writeVarUint(out, 1); // parent info: a root type key follows
    writeVarString(out, "t");
    writeVarString(out, "x".repeat(inserts));
  }
  writeVarUint(out, 0); // empty delete set
  return Uint8Array.from(out);
}
