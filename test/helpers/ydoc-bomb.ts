/**
 * Crafts a Yjs (v1) update that is small on the wire but quadratic to integrate, the "update
 * bomb" the server must refuse before Yjs touches it (`test/security/ydoc-bomb.test.ts`).
 *
 * Shape: one client (id 0) inserts a string of `n` characters into the root text "t"; then `n`
 * other clients each insert one character with no left origin and a right origin pointing at the
 * i-th character of that string, the i-th insert from client n - i. Yjs integrates clients from
 * the highest id down, so the inserts land in string order, and each one's conflict scan
 * (`Item.integrate`) walks from the start of the text past every earlier insert and string piece
 * to its right origin (no left origin means "concurrent with everything before it"): the i-th
 * scans about 2i items, n² steps in all for an update of about 11 bytes per insert.
 *
 * The bytes are written by hand (lib0 varints, the v1 struct layout) because no honest Yjs
 * document produces this shape.
 */

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

/** The bomb with `inserts` conflicting single-character inserts. */
export function craftYdocBomb(inserts: number): Uint8Array {
  const out: number[] = [];
  writeVarUint(out, inserts + 1); // clients
  // The anchor string: client 0, one struct, parent named by its root key.
  writeVarUint(out, 1);
  writeVarUint(out, 0);
  writeVarUint(out, 0);
  out.push(CONTENT_STRING);
  writeVarUint(out, 1); // parent info: a root type key follows
  writeVarString(out, "t");
  writeVarString(out, "x".repeat(inserts));
  for (let index = 0; index < inserts; index++) {
    writeVarUint(out, 1); // one struct
    writeVarUint(out, inserts - index); // its client: the later the character, the lower the id
    writeVarUint(out, 0); // its first clock
    out.push(CONTENT_STRING | HAS_RIGHT_ORIGIN);
    writeVarUint(out, 0); // right origin: client 0 ...
    writeVarUint(out, index); // ... character `index`
    writeVarString(out, "y");
  }
  writeVarUint(out, 0); // empty delete set
  return Uint8Array.from(out);
}

/** A bomb of about `sizeBytes` bytes. */
export function craftYdocBombOfSize(sizeBytes: number): Uint8Array {
  return craftYdocBomb(Math.floor(sizeBytes / 12));
}
