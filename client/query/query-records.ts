/**
 * Runs a query once over a dataset's cached rows. Queries see only live JSON records (STRING and
 * YDOC records have no fields and are not cached). The cached values are frozen and shared, so the
 * rows returned carry copies: the caller may change them.
 */
import type { JsonObject, JsonValue } from "../../core/json-value.js";
import { runQuery, type CompiledQuery, type QueryRow } from "../../core/query/index.js";
import type { CachedRows } from "../store/record-cache.js";

/** A plain, unfrozen copy of a JSON value. */
function copyJson(value: JsonValue): JsonValue {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copyJson);
  const copy: JsonObject = {};
  for (const name in value) copy[name] = copyJson(value[name]!);
  return copy;
}

/** The query's result over `rows`; the values are the caller's to change. */
export function queryRows(rows: CachedRows, query: CompiledQuery): QueryRow<JsonObject>[] {
  const matched = runQuery(Array.from(rows.values(), (cached) => cached.row), query);
  return matched.map((row) => ({ key: row.key, value: copyJson(row.value) as JsonObject }));
}
