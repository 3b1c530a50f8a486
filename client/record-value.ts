/**
 * What the app sees of a stored record: the object of a JSON record (its merged fields), the
 * value of a STRING or YDOC record, undefined when removed.
 */
import { decodeJsonState } from "../core/json-codec.js";
import { materializeJson } from "../core/json-record.js";
import type { JsonObject } from "../core/json-value.js";
import type { SyncRecord } from "../core/types.js";

/** The record's value as the app reads it; undefined for a removed record. */
export function readValue(record: Pick<SyncRecord, "kind" | "value" | "deleted">): string | JsonObject | undefined {
  if (record.deleted || record.value === null) return undefined;
  if (record.kind !== "JSON") return record.value;
  return materializeJson(decodeJsonState(record.value)) ?? undefined;
}
