/**
 * Runs a compiled query over decoded rows: filter, sort, cut at the limit. Pure; the client
 * reads and decodes, this decides.
 */
import type { JsonObject } from "../json-value.js";
import type { CompiledQuery } from "./compile-query.js";
import type { QueryRow } from "./query-types.js";

/** The rows that match, in query order, at most `limit` of them. `rows` is not modified. */
export function runQuery(rows: Iterable<QueryRow<JsonObject>>, query: CompiledQuery): QueryRow<JsonObject>[] {
  const matched: QueryRow<JsonObject>[] = [];
  for (const row of rows) if (query.matches(row.value)) matched.push(row);
  matched.sort(query.compare);
  return query.limit < matched.length ? matched.slice(0, query.limit) : matched;
}
