/**
 * The kept result of a watched query. It holds every matching row in query order (not only the
 * `limit` window, so a window that loses a member is refilled without reading again) and the
 * stored text of each JSON record it has seen. Given the dataset's records after a change, it
 * finds the keys whose stored text changed and re-checks only those records: each leaves its old
 * place and, if it still matches, enters at its new one (binary search). The result is a new array
 * only when the window's rows changed; otherwise the previous array is returned as is.
 */
import { decodeJsonState } from "../../core/json-codec.js";
import { materializeJson } from "../../core/json-record.js";
import type { JsonObject, JsonValue } from "../../core/json-value.js";
import type { CompiledQuery, QueryRow } from "../../core/query/index.js";
import type { SyncRecord } from "../../core/types.js";

type Row = QueryRow<JsonObject>;

// Above this many rows entering at once, one sort beats inserting each by binary search.
const SORT_INSTEAD_OF_INSERT = 32;

/** Freezes a decoded value all the way down: emitted rows are shared between emissions. */
function deepFreeze<T extends JsonValue>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export class LiveQueryResult {
  readonly #query: CompiledQuery;
  /** Every live JSON key seen: its stored text and its row when it matches the query. */
  readonly #known = new Map<string, { text: string; row: Row | null }>();
  /** Every matching row, in query order. */
  readonly #matched: Row[] = [];
  #result: Row[] = [];

  constructor(query: CompiledQuery) {
    this.#query = query;
  }

  /**
   * The result after the dataset's live records became `records`. Returns the same array as the
   * previous call when the window is unchanged (so an equal result is not emitted again).
   */
  update(records: readonly SyncRecord[]): Row[] {
    const seen = new Set<string>();
    const entering: Row[] = [];
    for (const record of records) {
      if (record.kind !== "JSON" || record.deleted || record.value === null) continue;
      seen.add(record.key);
      const known = this.#known.get(record.key);
      if (known?.text === record.value) continue;
      if (known?.row) this.#leave(known.row);
      const value = materializeJson(decodeJsonState(record.value));
      const row = value !== null && this.#query.matches(value) ? { key: record.key, value: deepFreeze(value) } : null;
      this.#known.set(record.key, { text: record.value, row });
      if (row) entering.push(row);
    }
    if (seen.size < this.#known.size) {
      for (const [key, known] of this.#known) {
        if (seen.has(key)) continue;
        if (known.row) this.#leave(known.row);
        this.#known.delete(key);
      }
    }
    this.#enter(entering);
    return this.#window();
  }

  #position(row: Row): number {
    let low = 0;
    let high = this.#matched.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#query.compare(this.#matched[middle]!, row) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  // Rows compare equal only to themselves (ties are broken by key), so the search lands on it.
  #leave(row: Row): void {
    const index = this.#position(row);
    if (this.#matched[index] === row) this.#matched.splice(index, 1);
  }

  #enter(rows: Row[]): void {
    if (rows.length > SORT_INSTEAD_OF_INSERT) {
      this.#matched.push(...rows);
      this.#matched.sort(this.#query.compare);
      return;
    }
    for (const row of rows) this.#matched.splice(this.#position(row), 0, row);
  }

  #window(): Row[] {
    const size = Math.min(this.#query.limit, this.#matched.length);
    const previous = this.#result;
    let same = previous.length === size;
    for (let index = 0; same && index < size; index++) same = previous[index] === this.#matched[index];
    if (!same) this.#result = Object.freeze(this.#matched.slice(0, size)) as Row[];
    return this.#result;
  }
}
