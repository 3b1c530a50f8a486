/**
 * `Dataset`: the app's handle on one dataset. Reads and writes are local and work offline; writes
 * are queued and synced in the background (debounced). See docs/client.md for examples.
 */
import type * as Y from "yjs";
import { SyncpoolError } from "../core/errors.js";
import { assertRecordKey } from "../core/limits.js";
import { assertLocalDatasetName } from "./transport/shared-name.js";
import type { ConflictStrategy, Limits, PatchOp, RecordKind, SyncRecord } from "../core/types.js";
import type { Observable } from "./follow-identity.js";
import type { JsonObject } from "../core/json-value.js";
import type { Query, QueryRow } from "../core/query/index.js";
import { queryDataset, watchDatasetQuery, type QueryHost } from "./query/dataset-query.js";
import type { ConflictHandler } from "./sync/resolve-conflicts.js";
import type { LocalWrite } from "./store/local-write.js";
import { WriteBatch, entriesOf, type Entries, type PutValue } from "./write-batch.js";
import { readValue } from "./record-value.js";
import { validateValue, withUpdate, type DatasetOptions, type UpdateOf } from "./typed-value.js";

/** A dataset's usage in the local view, against the limits writes are checked with. */
export interface DatasetUsage {
  recordCount: number;
  sizeBytes: number;
  limits: Limits;
}

/** A local write waiting for the server, as `dataset.pendingWrites()` lists it. */
export interface PendingWrite {
  key: string;
  op: PatchOp;
  /** The value written (a YDOC value is the incremental Yjs update); null for a remove. */
  value: string | null;
  kind: RecordKind;
  /** Device time of the write, epoch ms. */
  deviceLastModifiedAt: number;
}

/** What a `Dataset` needs from its client (internal). */
export interface DatasetHost extends QueryHost {
  write(dataset: string, key: string, op: PatchOp, value: string | null, kind: RecordKind): Promise<void>;
  writeMany(writes: readonly LocalWrite[]): Promise<void>;
  record(dataset: string, key: string): Promise<SyncRecord | undefined>;
  liveRecords(dataset: string): Promise<SyncRecord[]>;
  /** `read` re-run on every change, following the identity signed in; `signedOut` while nobody is. */
  observe<T>(read: () => Promise<T>, signedOut: T): Observable<T>;
  usage(dataset: string): Promise<DatasetUsage>;
  pending(dataset: string): Promise<number>;
  flush(dataset: string): Promise<void>;
  doc(dataset: string, key: string): Y.Doc;
  sync(dataset: string): Promise<void>;
  deleteDataset(dataset: string): Promise<void>;
  configure(dataset: string, conflictStrategy: ConflictStrategy): Promise<void>;
  setConflictHandler(dataset: string, handler: ConflictHandler | undefined): void;
  pendingWrites(dataset: string): Promise<PendingWrite[]>;
  discardPending(dataset: string, key?: string): Promise<number>;
}

/**
 * A dataset whose values are `V`: strings (STRING records) by default, objects (JSON records)
 * when `V` is an object type. With a `schema` every value written is validated first.
 */
export class Dataset<V = string> {
  constructor(
    private readonly host: DatasetHost,
    /** The dataset's name on this device (`shared/<name>` for a shared dataset). */
    readonly name: string,
    private readonly options: DatasetOptions<V> = {},
  ) {
    assertLocalDatasetName(name, "dataset");
  }

  /**
   * The value of `key`, or undefined when absent or removed. A YDOC record's value is its whole
   * document as a base64 Yjs update (`Y.applyUpdate(doc, base64ToBytes(value))`); use `doc(key)`
   * to edit it.
   */
  async get(key: string): Promise<V | undefined> {
    const record = await this.host.record(this.name, key);
    return record ? (readValue(record) as V | undefined) : undefined;
  }

  /** The whole record of `key` (tombstones included: `deleted: true`), or undefined. */
  getRecord(key: string): Promise<SyncRecord | undefined> {
    return this.host.record(this.name, key);
  }

  /**
   * Every live key and value. YDOC records' values are base64 Yjs updates (the whole document);
   * `{ kind: "STRING" }` keeps only plain values, `{ kind: "YDOC" }` only documents.
   */
  async getAll(options: { kind?: RecordKind } = {}): Promise<Record<string, V>> {
    const all: Record<string, V> = {};
    for (const record of await this.host.liveRecords(this.name)) {
      if (options.kind !== undefined && record.kind !== options.kind) continue;
      const value = readValue(record);
      if (value !== undefined) all[record.key] = value as V;
    }
    return all;
  }

  /** Every live record, ordered by key. */
  records(): Promise<SyncRecord[]> {
    return this.host.liveRecords(this.name);
  }

  /**
   * Sets `key` to `value` locally and queues it for sync. Rejects at once with the server's codes:
   * BAD_USER_INPUT for a bad key or value, LIMIT_EXCEEDED (`details.limit` names the limit).
   */
  async put(key: string, value: V): Promise<void> {
    assertRecordKey(key);
    if (this.options.schema) value = await validateValue(this.options.schema, value);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      await this.host.writeMany([{ dataset: this.name, key, op: "REPLACE", value: null, kind: "JSON", json: { put: value } }]);
      return;
    }
    if (typeof value !== "string") {
      throw new SyncpoolError("BAD_USER_INPUT", "value: must be a string (remove(key) deletes)", { field: "value" });
    }
    await this.host.write(this.name, key, "REPLACE", value, "STRING");
  }

  /**
   * Changes only the named fields of the JSON record `key`: keys of `partial` are dotted paths
   * (`"address.city"`), `undefined` unsets a field. Concurrent writes to other fields survive.
   */
  async update(key: string, partial: UpdateOf<V>): Promise<void> {
    assertRecordKey(key);
    if (this.options.schema) await validateValue(this.options.schema, withUpdate(await this.get(key), partial));
    await this.host.writeMany([{ dataset: this.name, key, op: "REPLACE", value: null, kind: "JSON", json: { update: partial } }]);
  }

  /** Removes the named fields (dotted paths) of the JSON record `key`. */
  unset(key: string, ...paths: string[]): Promise<void> {
    return this.update(key, Object.fromEntries(paths.map((path) => [path, undefined])) as UpdateOf<V>);
  }

  /**
   * Sets every entry (an object or `[key, value]` pairs) in ONE local transaction: all are stored
   * or none, and the limits are checked once for the batch. Much faster than a loop of `put`.
   */
  async putMany(entries: Entries): Promise<void> {
    const batch = new WriteBatch();
    for (const [key, value] of entriesOf(entries)) {
      batch.put(this.name, key, this.options.schema ? ((await validateValue(this.options.schema, value as V)) as PutValue) : value);
    }
    await this.host.writeMany(batch.writes);
  }

  /** Removes `key` (a tombstone, so other devices learn of it). */
  async remove(key: string): Promise<void> {
    assertRecordKey(key);
    await this.host.write(this.name, key, "REMOVE", null, "STRING");
  }

  /**
   * Calls `callback` with the value of `key` now and after every change (local or synced);
   * without a key, with every live key and value. It follows the identity signed in: made
   * before `signIn()` or kept across a sign-out, it receives undefined (or `{}`) while nobody is
   * signed in and the new identity's value after the next sign-in. Equal values are not repeated.
   * Returns the function that stops watching.
   */
  watch(key: string, callback: (value: V | undefined) => void): () => void;
  watch(key: undefined, callback: (values: Record<string, V>) => void): () => void;
  watch(key: string | undefined, callback: ((value: V | undefined) => void) | ((values: Record<string, V>) => void)): () => void {
    const observable: Observable<unknown> = key === undefined ? this.observeAll() : this.observe(key);
    return observable.subscribe(callback as (value: unknown) => void);
  }

  /**
   * An observable of the value of `key` (undefined while signed out). Works as a Svelte store
   * and with RxJS `from()`; see `Observable`.
   */
  observe(key: string): Observable<V | undefined> {
    return this.host.observe(() => this.get(key), undefined);
  }

  /** An observable of every live key and value (`{}` while signed out). */
  observeAll(): Observable<Record<string, V>> {
    return this.host.observe(() => this.getAll(), {});
  }

  /**
   * The live JSON records matching `query` (`where`, `orderBy`, `limit`; see docs/client.md),
   * as `{ key, value }` with decoded values. STRING and YDOC records are never matched. A bad
   * query rejects with BAD_USER_INPUT (`details.reason` "bad-query", `details.path`).
   */
  query(query: Query = {}): Promise<QueryRow<JsonObject>[]> {
    return queryDataset(this.host, this.name, query);
  }

  /** An observable of `query(query)`'s result (`[]` while signed out); emits only when it changes. */
  watchQuery(query: Query = {}): Observable<QueryRow<JsonObject>[]> {
    return watchDatasetQuery(this.host, this.name, query);
  }

  /**
   * A `Y.Doc` bound to the YDOC record `key` (created on the first edit). The same doc is returned
   * until it is destroyed. `await doc.whenLoaded` before reading the stored content.
   */
  doc(key: string): Y.Doc {
    assertRecordKey(key);
    return this.host.doc(this.name, key);
  }

  /** Resolves when edits made so far to this dataset's bound docs are saved on the device. */
  flush(): Promise<void> {
    return this.host.flush(this.name);
  }

  /** Pushes this dataset's outbox and pulls to the latest count. */
  sync(): Promise<void> {
    return this.host.sync(this.name);
  }

  /** Deletes the dataset here at once (pending writes included) and on the server at the next sync. */
  delete(): Promise<void> {
    return this.host.deleteDataset(this.name);
  }

  /** Sets the dataset's conflict strategy on the server (needs the network). */
  configure(options: { conflictStrategy: ConflictStrategy }): Promise<void> {
    return this.host.configure(this.name, options.conflictStrategy);
  }

  /** Handles this dataset's OPTIMISTIC conflicts (instead of the client's `onConflict`). */
  onConflict(handler: ConflictHandler | undefined): void {
    this.host.setConflictHandler(this.name, handler);
  }

  /** Live records and bytes in the local view, with the limits. */
  usage(): Promise<DatasetUsage> {
    return this.host.usage(this.name);
  }

  /** UTF-8 bytes of keys and values (tombstones count their key), as the server counts them. */
  async size(): Promise<number> {
    return (await this.usage()).sizeBytes;
  }

  /** Live records. */
  async recordCount(): Promise<number> {
    return (await this.usage()).recordCount;
  }

  /** Local writes not yet acknowledged by the server. */
  pendingCount(): Promise<number> {
    return this.host.pending(this.name);
  }

  /** An observable of `pendingCount()`: emits after every write and every acknowledged push. */
  observePendingCount(): Observable<number> {
    return this.host.observe(() => this.pendingCount(), 0);
  }

  /** The local writes not yet acknowledged by the server, in write order. */
  pendingWrites(): Promise<PendingWrite[]> {
    return this.host.pendingWrites(this.name);
  }

  /**
   * Drops the pending writes of `key` (or of every key) so they are never sent: a key the server
   * never had disappears at once, the others take the server's value back at the next pull (at
   * once when online). Waits for a running sync pass; a write already acknowledged stays. Resolves
   * to the number of writes dropped.
   */
  discardPending(key?: string): Promise<number> {
    if (key !== undefined) assertRecordKey(key);
    return this.host.discardPending(this.name, key);
  }
}
