/**
 * The decoded JSON records of the datasets being queried, kept in memory per identity database so
 * a query does not read and decode the whole dataset from IndexedDB each time.
 *
 * Coherence rests on one fact: every committed write to the `records` table fires Dexie's
 * `storagemutated` with the keys it touched (or the key ranges, for a range delete or a bulk put of
 * 50 rows or more), synchronously as the transaction completes, before the writer's promise
 * resolves. That covers every path at once (local writes, pulls, live changes, conflict
 * resolutions, dataset deletes, merges) and other clients of the same database: in this realm
 * directly, in other tabs through Dexie's BroadcastChannel relay (what `liveQuery` follows too).
 * A touched key is marked dirty and read again (alone) before the next query; a touched range
 * makes the dataset load again. Nothing is trusted across a close: closing the database drops
 * everything, and a new identity opens a new database with its own cache.
 *
 * Bounded: only datasets that were queried are held; those with no watcher are dropped least
 * recently used first beyond `IDLE_DATASETS`.
 */
import { cmp, Dexie, type IntervalTree, type ObservabilitySet } from "dexie";
import { decodeJsonState } from "../../core/json-codec.js";
import { materializeJson } from "../../core/json-record.js";
import type { JsonObject, JsonValue } from "../../core/json-value.js";
import type { QueryRow } from "../../core/query/index.js";
import type { SyncRecord } from "../../core/types.js";
import type { IdentityDb } from "./identity-db.js";

/** How many datasets without a watcher stay cached. */
const IDLE_DATASETS = 4;

/** A live JSON record as queries see it: its stored text and its decoded row (frozen, shared). */
export interface CachedRow {
  text: string;
  row: QueryRow<JsonObject>;
}

/** A dataset's cached rows by key. */
export type CachedRows = ReadonlyMap<string, CachedRow>;

/**
 * Hears a watched dataset's changes once they are read: `changed` lists the keys that may have
 * changed, or is null when every key may have (the dataset was loaded again).
 */
export interface CacheWatcher {
  next(rows: CachedRows, changed: readonly string[] | null): void;
  error(error: unknown): void;
}

interface Entry {
  rows: Map<string, CachedRow>;
  loaded: boolean;
  dirty: Set<string>;
  watchers: Set<CacheWatcher>;
  refreshing: Promise<void> | null;
}

/** Freezes a decoded value all the way down: cached rows are shared by every query result. */
function deepFreeze<T extends JsonValue>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Stores what `record` now is under `key`: its row when it is a live JSON record, else nothing.
 * (Exported for tests, which build cached rows from records.)
 */
export function cacheRecord(rows: Map<string, CachedRow>, key: string, record: Pick<SyncRecord, "kind" | "deleted" | "value"> | undefined, previous = rows.get(key)): void {
  const text = record && record.kind === "JSON" && !record.deleted ? record.value : null;
  if (text === null) return void rows.delete(key);
  // An unchanged record keeps its row object: watchers tell changes apart by identity.
  if (previous?.text === text) return void rows.set(key, previous);
  const value = materializeJson(decodeJsonState(text));
  if (value === null) rows.delete(key);
  else rows.set(key, { text, row: Object.freeze({ key, value: deepFreeze(value) }) });
}

/** Calls `visit` with every range of a Dexie range set (a tree; a plain object when relayed). */
function eachRange(node: IntervalTree | null | undefined, visit: (from: unknown, to: unknown) => void): void {
  if (!node || !("from" in node)) return;
  eachRange(node.l, visit);
  visit(node.from, node.to);
  eachRange(node.r, visit);
}

/** The record cache of one identity database (see the module comment). */
export class RecordCache {
  readonly #db: IdentityDb;
  /** In least recently used order. */
  readonly #entries = new Map<string, Entry>();
  #listening = false;

  constructor(db: IdentityDb) {
    this.#db = db;
  }

  /** The dataset's live JSON records, decoded, as of now (every write committed before is seen). */
  async rows(dataset: string): Promise<CachedRows> {
    const entry = this.#entry(dataset);
    this.#entries.delete(dataset);
    this.#entries.set(dataset, entry);
    // This dataset is now the last one: when idle, it is the last to go.
    const idle = [...this.#entries].filter(([, other]) => !other.watchers.size);
    for (const [name] of idle.slice(0, -IDLE_DATASETS)) this.#entries.delete(name);
    await this.#fresh(dataset, entry);
    return entry.rows;
  }

  /**
   * Calls `watcher` with the dataset's rows now and after every change to them, until the
   * returned function is called. The dataset stays cached meanwhile.
   */
  watch(dataset: string, watcher: CacheWatcher): () => void {
    const entry = this.#entry(dataset);
    entry.watchers.add(watcher);
    this.#fresh(dataset, entry).then(
      () => entry.watchers.has(watcher) && watcher.next(entry.rows, null),
      (error: unknown) => entry.watchers.has(watcher) && watcher.error(error),
    );
    return () => void entry.watchers.delete(watcher);
  }

  /**
   * The database closes: forgets every row. A watched dataset (a close the app did not ask for,
   * such as the browser's back-forward cache) keeps its watchers and is read again once the
   * database opens; with none left, listening stops.
   */
  clear(): void {
    for (const [name, entry] of this.#entries) {
      if (entry.watchers.size) (entry.loaded = false), (entry.rows = new Map());
      else this.#entries.delete(name);
    }
    if (this.#listening && !this.#entries.size) Dexie.on.storagemutated.unsubscribe(this.#mutated);
    this.#listening = this.#entries.size > 0;
  }

  #entry(dataset: string): Entry {
    let entry = this.#entries.get(dataset);
    if (!entry) {
      // Listening starts before the first read, so no write committed after it is missed.
      if (!this.#listening) Dexie.on("storagemutated", this.#mutated);
      this.#listening = true;
      entry = { rows: new Map(), loaded: false, dirty: new Set(), watchers: new Set(), refreshing: null };
      this.#entries.set(dataset, entry);
    }
    return entry;
  }

  /**
   * Brings `entry` up to date: waits for a read under way (it may hold keys already taken from
   * `dirty`), and reads again what was written meanwhile.
   */
  async #fresh(dataset: string, entry: Entry): Promise<void> {
    while (entry.refreshing || !entry.loaded || entry.dirty.size) {
      await (entry.refreshing ??= this.#refresh(dataset, entry).finally(() => (entry.refreshing = null)));
    }
  }

  async #refresh(dataset: string, entry: Entry): Promise<void> {
    while (!entry.loaded || entry.dirty.size) {
      let changed: string[] | null = null;
      try {
        if (!entry.loaded) {
          entry.loaded = true;
          entry.dirty.clear();
          const rows = new Map<string, CachedRow>();
          for (const record of await this.#db.records.where("dataset").equals(dataset).toArray()) {
            cacheRecord(rows, record.key, record, entry.rows.get(record.key));
          }
          entry.rows = rows;
        } else {
          changed = [...entry.dirty];
          entry.dirty.clear();
          const records = await this.#db.records.bulkGet(changed.map((key) => [dataset, key]));
          changed.forEach((key, index) => cacheRecord(entry.rows, key, records[index]));
        }
      } catch (error) {
        entry.loaded = false;
        if (!this.#db.isOpen()) this.clear();
        throw error;
      }
      for (const watcher of entry.watchers) watcher.next(entry.rows, changed);
    }
  }

  /** Dexie's `storagemutated`: marks what the committed writes touched (see the module comment). */
  readonly #mutated = (parts: ObservabilitySet): void => {
    const touched = new Set<Entry>();
    const tree = parts[`idb://${this.#db.name}/records/`];
    if ("all" in parts) for (const entry of this.#entries.values()) (entry.loaded = false), touched.add(entry);
    eachRange(tree, (from, to) => {
      if (Array.isArray(from) && cmp(from, to) === 0) {
        const entry = this.#entries.get(from[0] as string);
        if (entry) entry.dirty.add(from[1] as string), touched.add(entry);
        return;
      }
      // A range: every dataset whose keys ([name, key], strings before arrays) it meets loads again.
      // A bulk write of 50 rows or more is the whole table, up to Dexie's MAX_KEY, which is a
      // string where IndexedDB cannot take [[]] as a key (fake-indexeddb): it meets every dataset.
      const toTableEnd = typeof to === "string";
      for (const [name, entry] of this.#entries) {
        if (cmp(from, [name, []]) <= 0 && (toTableEnd || cmp(to, [name]) >= 0)) (entry.loaded = false), touched.add(entry);
      }
    });
    for (const [name, entry] of this.#entries) {
      if (!touched.has(entry) || !entry.watchers.size) continue;
      this.#fresh(name, entry).catch((error: unknown) => {
        for (const watcher of entry.watchers) watcher.error(error);
      });
    }
  };
}
