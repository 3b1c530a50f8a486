/**
 * A record as readers outside the sync protocol see it (stream events, sync triggers, Cognito
 * Sync): a JSON record's stored state materialized into plain JSON, other kinds as stored.
 */
import { decodeJsonState } from "./json-codec.js";
import { materializeJson } from "./json-record.js";
import type { JsonObject } from "./json-value.js";
import type { RecordState } from "./merge.js";

/** A stored JSON value's materialized object, or null when the record shows none. */
export function materializeStoredJson(value: string | null): JsonObject | null {
  return value === null ? null : materializeJson(decodeJsonState(value));
}

/**
 * What readers outside the sync protocol (stream events, sync triggers, Cognito Sync) see of a
 * record: its value, a JSON record's materialized object as JSON text; null when it shows none.
 */
export function shownRecordValue(record: RecordState): string | null {
  if (record.deleted) return null;
  return record.kind === "JSON" ? materializedJsonText(record.value) : record.value;
}

/** A stored JSON value as plain JSON text (`"null"` never: a removed record gives null). */
export function materializedJsonText(value: string | null): string | null {
  const object = materializeStoredJson(value);
  return object === null ? null : JSON.stringify(object);
}
