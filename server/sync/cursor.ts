/**
 * Record page cursors: an opaque, URL-safe encoding of the (syncCount, key) position of the last
 * record of a page. Pages are ordered by that pair, so a record changed while a device pages moves
 * to a later position and is still delivered.
 */
import { SyncpoolError } from "../../core/errors.js";
import type { RecordPosition } from "../storage/storage.js";

/** Encodes the position after which the next page starts. */
export function encodeCursor(position: RecordPosition): string {
  return Buffer.from(JSON.stringify([position.syncCount, position.key])).toString("base64url");
}

/** Decodes a cursor from `encodeCursor`; anything else is BAD_USER_INPUT on `after`. */
export function decodeCursor(cursor: string): RecordPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString());
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      value[0] >= 0 &&
      typeof value[1] === "string"
    ) {
      return { syncCount: value[0] as number, key: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new SyncpoolError("BAD_USER_INPUT", "after is not a cursor returned by records", { field: "after" });
}
