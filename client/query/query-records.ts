/**
 * Runs a query once over a dataset's local records. Queries see only live JSON records (STRING
 * and YDOC records have no fields and are left out).
 */
import { decodeJsonState } from "../../core/json-codec.js";
import { materializeJson } from "../../core/json-record.js";
import type { JsonObject } from "../../core/json-value.js";
import { runQuery, type CompiledQuery, type QueryRow } from "../../core/query/index.js";
import type { SyncRecord } from "../../core/types.js";

/** The live JSON records of `records`, decoded (each value is a fresh object). */
export function decodeRows(records: readonly SyncRecord[]): QueryRow<JsonObject>[] {
  const rows: QueryRow<JsonObject>[] = [];
  for (const record of records) {
    if (record.kind !== "JSON" || record.deleted || record.value === null) continue;
    const value = materializeJson(decodeJsonState(record.value));
    if (value !== null) rows.push({ key: record.key, value });
  }
  return rows;
}

/** The query's result over `records`; the values are the caller's to change. */
export function queryRecords(records: readonly SyncRecord[], query: CompiledQuery): QueryRow<JsonObject>[] {
  return runQuery(decodeRows(records), query);
}
