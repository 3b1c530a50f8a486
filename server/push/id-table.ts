/**
 * A small map from id to value for what thousands of idle sockets each hold a few of (a socket's
 * operations): ids and values side by side in one array of exact size, replaced on add and
 * remove. A `Map`'s smallest table is about 180 bytes; this is 16 bytes per entry over the
 * array's own, and no object of its own (its owner keeps the array). Lookups are linear, over at
 * most a connection's operation limit.
 */
export type IdTable<V> = ReadonlyArray<string | V>;

/** The table with no entries. */
export const EMPTY_ID_TABLE: IdTable<never> = Object.freeze([]);

/** Entries in `table`. */
export function idTableSize(table: IdTable<unknown>): number {
  return table.length / 2;
}

/** True when `table` has an entry for `id`. */
export function idTableHas(table: IdTable<unknown>, id: string): boolean {
  return indexOf(table, id) >= 0;
}

/** The value for `id`, or undefined. */
export function idTableGet<V>(table: IdTable<V>, id: string): V | undefined {
  const index = indexOf(table, id);
  return index < 0 ? undefined : (table[index + 1] as V);
}

/** `table` with `id` set to `value` (a new array; `table` is left as it was). */
export function idTableSet<V>(table: IdTable<V>, id: string, value: V): IdTable<V> {
  const index = indexOf(table, id);
  if (index < 0) return table.concat([id, value]);
  const next = table.slice();
  next[index + 1] = value;
  return next;
}

/** `table` without `id` (itself when it has no such entry). */
export function idTableDelete<V>(table: IdTable<V>, id: string): IdTable<V> {
  const index = indexOf(table, id);
  return index < 0 ? table : table.slice(0, index).concat(table.slice(index + 2));
}

/** The values of `table`, in the order they were added. */
export function idTableValues<V>(table: IdTable<V>): V[] {
  return table.filter((_, index) => index % 2 === 1) as V[];
}

function indexOf(table: IdTable<unknown>, id: string): number {
  for (let index = 0; index < table.length; index += 2) if (table[index] === id) return index;
  return -1;
}
