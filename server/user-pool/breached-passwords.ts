/**
 * The offline breached-password check (`passwordPolicy.breachedPasswords`): a password whose SHA-1
 * is in the operator's file at least `minCount` times is refused wherever a password is set. The
 * file is Have I Been Pwned's downloadable list or any like it: one SHA-1 per line in hex, sorted,
 * optionally followed by `:COUNT` (`5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:52579`); a line
 * without a count counts once.
 *
 * The lookup is a binary search over the file's bytes with positional reads, so nothing is loaded
 * or indexed: about 2 log2(lines) small reads (a 40 GB file: ~70 reads of 128 bytes, served by the
 * page cache after the first lookups warm its upper levels), and memory that does not grow with
 * the file. docs/user-pools.md has the measured figures (`bench/breached-lookup.ts`).
 */
import { createHash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import { UserPoolError } from "./user-pool-errors.js";

/** A pool's setting: the file, and how often a password must appear in it to be refused. */
export interface BreachedPasswordsSetting {
  file: string;
  minCount: number;
}

/** Below this many bytes the search reads the rest at once and scans it. */
const SCAN_BYTES = 4096;
/** Enough for one line: 40 hex digits, a colon, a count, CR LF. */
const LINE_BYTES = 128;
const HASH_LENGTH = 40;

/** One opened list. */
export interface BreachedPasswordList {
  /** How often the SHA-1 (40 hex digits) appears, 0 when it does not. */
  count(sha1Hex: string): Promise<number>;
  close(): Promise<void>;
}

/** Opens a sorted list; throws when the file cannot be read or its first line is not a SHA-1. */
export async function openBreachedPasswordList(file: string): Promise<BreachedPasswordList> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const first = await readAt(handle, 0, LINE_BYTES);
    if (size > 0 && !/^[0-9A-Fa-f]{40}(:\d+)?\r?(\n|$)/.test(first)) throw new Error(`${file} is not a list of SHA-1 hashes (expected lines such as 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:52579)`);
    return { count: (sha1Hex) => countIn(handle, size, sha1Hex.toUpperCase()), close: () => handle.close() };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<string> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.toString("latin1", 0, bytesRead);
}

/** The count on a line, when its hash is `target`; -1 when the line's hash sorts before it, 1 after it. */
function compareLine(line: string, target: string): { order: number; count: number } {
  const key = line.slice(0, HASH_LENGTH).toUpperCase();
  if (key < target) return { order: -1, count: 0 };
  if (key > target) return { order: 1, count: 0 };
  const count = line.charAt(HASH_LENGTH) === ":" ? Number.parseInt(line.slice(HASH_LENGTH + 1), 10) : 1;
  return { order: 0, count: Number.isFinite(count) ? count : 1 };
}

async function countIn(handle: FileHandle, size: number, target: string): Promise<number> {
  // Invariant: lo is the start of a line sorting before target (or 0); hi the start of one sorting at or after it (or the end).
  let lo = 0;
  let hi = size;
  while (hi - lo > SCAN_BYTES) {
    const mid = Math.floor((lo + hi) / 2);
    const chunk = await readAt(handle, mid - 1, LINE_BYTES * 2);
    const newline = chunk.indexOf("\n");
    const start = newline === -1 ? hi : mid + newline; // the first line starting at or after mid
    if (start >= hi) {
      hi = mid;
      continue;
    }
    const { order, count } = compareLine(chunk.slice(newline + 1), target);
    if (order === 0) return count;
    if (order < 0) lo = start;
    else hi = start;
  }
  const rest = await readAt(handle, lo, Math.min(size, hi + LINE_BYTES) - lo);
  for (const line of rest.split("\n")) {
    const { order, count } = compareLine(line, target);
    if (order === 0) return count;
    if (order > 0) return 0;
  }
  return 0;
}

/** Opened lists by file, shared by every pool naming the same file. */
const lists = new Map<string, Promise<BreachedPasswordList>>();

/** The list of `file`, opened once per process. */
export function breachedPasswordList(file: string): Promise<BreachedPasswordList> {
  let list = lists.get(file);
  if (list === undefined) {
    list = openBreachedPasswordList(file);
    lists.set(file, list);
    list.catch(() => lists.delete(file)); // a failed open is tried again next time
  }
  return list;
}

/** Refuses `password` when the pool's list holds it at least `minCount` times (InvalidPasswordException). */
export async function refuseBreachedPassword(setting: BreachedPasswordsSetting | undefined, password: string): Promise<void> {
  if (setting === undefined) return;
  const sha1 = createHash("sha1").update(password, "utf8").digest("hex");
  const count = await (await breachedPasswordList(setting.file)).count(sha1);
  if (count >= setting.minCount) {
    throw new UserPoolError("InvalidPasswordException", "Provided password cannot be used for security reasons: it appears in a list of compromised passwords.");
  }
}
