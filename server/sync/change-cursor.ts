/**
 * Change feed cursors: an identity's position in its pool's event stream, one sequence per shard,
 * with the shard count they were taken under (a pool whose shard count changed places identities in
 * other shards, so an older cursor no longer says anything). Text like `1.4.57.0.12.3`: the format
 * version, the shard count, then each shard's last sequence seen. Opaque to clients.
 */
import { SyncpoolError } from "../../core/errors.js";

/** A decoded cursor: `positions[shard]` is the last sequence of that shard already seen. */
export interface ChangeCursor {
  shards: number;
  positions: number[];
}

const VERSION = "1";

/** Encodes `cursor` for the wire. */
export function encodeChangeCursor(cursor: ChangeCursor): string {
  return [VERSION, cursor.shards, ...cursor.positions].join(".");
}

/** Decodes a cursor from `encodeChangeCursor`; anything else is BAD_USER_INPUT on `cursor`. */
export function decodeChangeCursor(text: string): ChangeCursor {
  const parts = text.split(".");
  const numbers = parts.slice(1).map((part) => (/^\d{1,15}$/.test(part) ? Number(part) : NaN));
  const shards = numbers[0] ?? NaN;
  if (parts[0] !== VERSION || !Number.isSafeInteger(shards) || shards < 1 || numbers.length !== shards + 1 || numbers.some(Number.isNaN)) {
    throw new SyncpoolError("BAD_USER_INPUT", "cursor is not a cursor returned by changes", { field: "cursor" });
  }
  return { shards, positions: numbers.slice(1) };
}
