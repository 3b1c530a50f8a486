/**
 * Runs a query over a dataset's local records. Queries see only live JSON records (STRING and
 * YDOC records have no fields and are left out). Decoded values are kept per stored text, so a
 * re-run decodes only records that changed since the last run.
 */
import { decodeJsonState } from "../../core/json-codec.js";
import { materializeJson } from "../../core/json-record.js";
import type { JsonObject } from "../../core/json-value.js";
import { runQuery, type CompiledQuery, type QueryRow } from "../../core/query/index.js";
import type { SyncRecord } from "../../core/types.js";

/** Decodes JSON records, remembering each key's last stored text and its value. */
export class DecodedRows {
  readonly #byKey = new Map<string, { text: string; row: QueryRow<JsonObject> }>();

  /** The live JSON records of `records` as rows; values are shared with earlier calls when unchanged. */
  rows(records: readonly SyncRecord[]): QueryRow<JsonObject>[] {
    const rows: QueryRow<JsonObject>[] = [];
    const seen = new Set<string>();
    for (const record of records) {
      if (record.kind !== "JSON" || record.deleted || record.value === null) continue;
      seen.add(record.key);
      const cached = this.#byKey.get(record.key);
      if (cached?.text === record.value) {
        rows.push(cached.row);
        continue;
      }
      const value = materializeJson(decodeJsonState(record.value));
      if (value === null) continue;
      const row = { key: record.key, value };
      this.#byKey.set(record.key, { text: record.value, row });
      rows.push(row);
    }
    for (const key of this.#byKey.keys()) if (!seen.has(key)) this.#byKey.delete(key);
    return rows;
  }
}

/** The query's result over `records`; each row's value is a fresh copy the caller may change. */
export function queryRecords(decoded: DecodedRows, records: readonly SyncRecord[], query: CompiledQuery): QueryRow<JsonObject>[] {
  return runQuery(decoded.rows(records), query).map((row) => ({ key: row.key, value: structuredClone(row.value) }));
}
