/**
 * The kept result of a watched query. It holds every matching row in query order (not only the
 * `limit` window, so a window that loses a member is refilled without reading again) and the
 * cached row of each JSON record it has checked. Given the keys that changed, it re-checks only
 * those records: each leaves its old place and, if it still matches, enters at its new one (binary
 * search). A record whose cached row is the same object as before did not change and is skipped.
 * The result is a new array only when the window's rows changed; otherwise the previous array is
 * returned as is.
 */
import type { JsonObject } from "../../core/json-value.js";
import type { CompiledQuery, QueryRow } from "../../core/query/index.js";
import type { CachedRow, CachedRows } from "../store/record-cache.js";

type Row = QueryRow<JsonObject>;

// Above this many rows entering at once, one sort beats inserting each by binary search.
const SORT_INSTEAD_OF_INSERT = 32;

export class LiveQueryResult {
  readonly #query: CompiledQuery;
  /** Every record checked: its cached row, and whether it matches the query. */
  readonly #known = new Map<string, { cached: CachedRow; matches: boolean }>();
  /** Every matching row, in query order. */
  readonly #matched: Row[] = [];
  #result: Row[] = [];

  constructor(query: CompiledQuery) {
    this.#query = query;
  }

  /**
   * The result once the dataset's rows are `rows`, where only the keys in `changed` may differ
   * from the last call (null: any key may). Returns the same array as the previous call when the
   * window is unchanged (so an equal result is not emitted again).
   */
  update(rows: CachedRows, changed: Iterable<string> | null): Row[] {
    const entering: Row[] = [];
    const check = (key: string) => {
      const cached = rows.get(key);
      const known = this.#known.get(key);
      if (known?.cached === cached) return;
      if (known?.matches) this.#leave(known.cached.row);
      if (!cached) return void this.#known.delete(key);
      const matches = this.#query.matches(cached.row.value);
      this.#known.set(key, { cached, matches });
      if (matches) entering.push(cached.row);
    };
    if (changed) for (const key of changed) check(key);
    else {
      for (const key of this.#known.keys()) if (!rows.has(key)) check(key);
      for (const key of rows.keys()) check(key);
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
