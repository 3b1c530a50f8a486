/**
 * JSON records on the server. A JSON patch carries the encoded state of the device's pending
 * writes to its key (`encodeJsonState`), so the server's work is a state merge: commutative,
 * associative and idempotent, which makes a replayed or reordered patch harmless. The stored
 * value is the encoded merged state; the record's clock is the latest clock inside it.
 */
import { SyncpoolError, isSyncpoolError } from "../../core/errors.js";
import { decodeJsonState, encodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut, applyJsonRemove, materializeJson } from "../../core/json-record.js";
import { EMPTY_JSON_STATE, latestJsonClock, mergeJsonStates, type JsonState } from "../../core/json-state.js";
import type { RecordState } from "../../core/merge.js";
import type { SyncRecord } from "../../core/types.js";

/**
 * Decodes a pushed JSON state, naming the patch field in the error.
 * @throws SyncpoolError BAD_USER_INPUT (`field`, `reason`, `path`) for a malformed state, or one
 *   holding no write at all (it would store a record with no clock).
 */
export function decodePushedJsonState(value: string, field: string): JsonState {
  let state: JsonState;
  try {
    state = decodeJsonState(value);
  } catch (error) {
    if (!isSyncpoolError(error)) throw error;
    const path = typeof error.details.path === "string" ? error.details.path : "";
    // The core names the value "value"; say which patch's value it was.
    const coreWhere = path === "" ? "value: " : `value.${path}: `;
    const message = error.message.startsWith(coreWhere) ? error.message.slice(coreWhere.length) : error.message;
    const where = path === "" ? field : `${field}.${path}`;
    throw new SyncpoolError("BAD_USER_INPUT", `${where}: ${message}`, { ...error.details, field });
  }
  if (latestJsonClock(state) === null) {
    throw new SyncpoolError("BAD_USER_INPUT", `${field}: a JSON state holds at least one write`, {
      field,
      reason: "malformed-state",
      path: "",
    });
  }
  return state;
}

/**
 * The state a stored record contributes to a merge: its own for a live JSON record, nothing for a
 * tombstone or a key never stored (a removed key starts afresh).
 */
export function storedJsonState(record: SyncRecord | null): JsonState {
  if (record === null || record.deleted || record.kind !== "JSON" || record.value === null) return EMPTY_JSON_STATE;
  return decodeJsonState(record.value);
}

/** Whether a stored record shows a value: a JSON record whose state materializes as null counts as removed. */
export function isLiveRecord(record: SyncRecord | RecordState | null): boolean {
  if (record === null || record.deleted) return false;
  if (record.kind !== "JSON" || record.value === null) return true;
  return materializeJson(decodeJsonState(record.value)) !== null;
}

/**
 * `before` with `incoming` merged in, as a record state written by `deviceId`. Unchanged (the
 * stored state itself) when the merge adds nothing, so a replayed patch is not a change.
 */
export function mergeJsonRecord(
  before: SyncRecord | null,
  key: string,
  incoming: JsonState,
  deviceId: string,
  deviceLastModifiedAt: number,
): RecordState {
  const merged = mergeJsonStates(storedJsonState(before), incoming);
  const value = encodeJsonState(merged);
  if (before !== null && !before.deleted && before.kind === "JSON" && before.value === value) {
    const { syncCount: _syncCount, lastModifiedAt: _lastModifiedAt, ...state } = before;
    return state;
  }
  return {
    key,
    value,
    kind: "JSON",
    // Never null: a pushed state holds a write (decodePushedJsonState), and the merge keeps the latest.
    clock: latestJsonClock(merged)!,
    lastModifiedBy: deviceId,
    deviceLastModifiedAt,
    deleted: false,
  };
}

/** The JSON state of removing the record at `clock` (a REMOVE patch on a JSON key). */
export function jsonRemovalState(clock: string): JsonState {
  return applyJsonRemove(EMPTY_JSON_STATE, clock);
}

/** The state of putting `object` at `clock` (a trigger's new value). */
export function jsonPutState(object: unknown, clock: string): JsonState {
  return applyJsonPut(EMPTY_JSON_STATE, object, clock);
}
