/**
 * Standard base64 (RFC 4648 section 4: `A-Z a-z 0-9 + /`, `=` padding), used for YDOC record
 * values on the wire and in storage. Decoding is strict, unlike `atob`: no whitespace, no missing
 * padding, no URL alphabet and no stray bits in the last character. So every byte string has
 * exactly one accepted text, and a value's text is a stable identity for its bytes.
 *
 * Runs in browsers as well as Node: where Node's `Buffer` exists, its native codec does the work
 * (a YDOC value of tens of KB is coded once per merge, and the portable loop below costs about a
 * hundred times more); elsewhere `btoa` and plain arrays. Both accept exactly the same texts.
 */
import { SyncpoolError } from "./errors.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// char code -> 6-bit value, or -1 for characters outside the alphabet.
const DECODE_TABLE: Int16Array = (() => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

// String.fromCharCode(...bytes) passes every byte as an argument; large arrays overflow the
// stack, so the binary string is built from slices of this many bytes.
const CHUNK_BYTES = 0x8000;

/** Node's Buffer, when the code runs in Node; typed locally so core needs no Node types. */
interface NativeBase64 {
  from(text: string, encoding: "base64"): Uint8Array;
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: "base64"): string };
}
const NATIVE: NativeBase64 | undefined = (globalThis as { Buffer?: NativeBase64 }).Buffer;

/** Encodes bytes as standard padded base64. Handles megabyte arrays (chunked, no stack overflow). */
export function encodeBase64(bytes: Uint8Array): string {
  if (NATIVE) return NATIVE.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64");
  const parts: string[] = [];
  for (let start = 0; start < bytes.length; start += CHUNK_BYTES) {
    // apply() takes any array-like; passing the typed array avoids copying it to a plain array.
    const chunk = bytes.subarray(start, start + CHUNK_BYTES) as unknown as number[];
    parts.push(String.fromCharCode.apply(null, chunk));
  }
  return btoa(parts.join(""));
}

function sextet(text: string, index: number, field: string): number {
  const code = text.charCodeAt(index);
  const value = code < 128 ? (DECODE_TABLE[code] ?? -1) : -1;
  if (value < 0) {
    throw new SyncpoolError(
      "BAD_USER_INPUT",
      `${field}: invalid base64 character at position ${index}`,
      { field, position: index },
    );
  }
  return value;
}

/**
 * Decodes standard padded base64, strictly. Throws `SyncpoolError('BAD_USER_INPUT')` with
 * details `{field}` (default field name `value`) on a length that is not a multiple of 4, a
 * character outside the alphabet, misplaced padding, or non-zero padding bits.
 */
export function decodeBase64(text: string, field = "value"): Uint8Array {
  if (NATIVE) {
    // Buffer's decoder is lenient (whitespace, missing padding, URL alphabet); a text is accepted
    // only when it is the one encoding of the bytes it gives. Otherwise the strict loop below
    // finds and reports what is wrong.
    const native = NATIVE.from(text, "base64");
    // A small Buffer is a view into a shared slab: copy it, so the caller owns `bytes.buffer`.
    const owned = native.byteLength === native.buffer.byteLength;
    const bytes = owned ? new Uint8Array(native.buffer, native.byteOffset, native.length) : new Uint8Array(native);
    if (encodeBase64(bytes) === text) return bytes;
  }
  return decodeStrictly(text, field);
}

function decodeStrictly(text: string, field: string): Uint8Array {
  if (text.length % 4 !== 0) {
    throw new SyncpoolError("BAD_USER_INPUT", `${field}: base64 length must be a multiple of 4`, {
      field,
    });
  }
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const bytes = new Uint8Array((text.length / 4) * 3 - padding);
  const fullQuads = padding === 0 ? text.length / 4 : text.length / 4 - 1;
  let out = 0;
  for (let quad = 0; quad < fullQuads; quad++) {
    const i = quad * 4;
    const bits =
      (sextet(text, i, field) << 18) |
      (sextet(text, i + 1, field) << 12) |
      (sextet(text, i + 2, field) << 6) |
      sextet(text, i + 3, field);
    bytes[out++] = bits >> 16;
    bytes[out++] = (bits >> 8) & 0xff;
    bytes[out++] = bits & 0xff;
  }
  if (padding > 0) {
    const i = fullQuads * 4;
    const a = sextet(text, i, field);
    const b = sextet(text, i + 1, field);
    // One '=': 3 sextets carry 2 bytes, the last 2 bits must be zero. Two '=': 2 sextets carry
    // 1 byte, the last 4 bits must be zero. Anything else would give a second text for the bytes.
    const c = padding === 1 ? sextet(text, i + 2, field) : 0;
    const strayBits = padding === 1 ? c & 0x3 : b & 0xf;
    if (strayBits !== 0) {
      throw new SyncpoolError("BAD_USER_INPUT", `${field}: non-canonical base64 padding`, { field });
    }
    bytes[out++] = (a << 2) | (b >> 4);
    if (padding === 1) bytes[out++] = ((b & 0xf) << 4) | (c >> 2);
  }
  return bytes;
}
