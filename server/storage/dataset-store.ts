/**
 * Datasets and their records: the part of `Storage` that sync needs. Every backend reaches it as
 * `storage.datasets`, written once in `sql-datasets.ts`, checked by
 * `test/conformance/storage-suite-reads.ts` and `storage-suite-writes.ts`. The store holds no
 * sync rules (merge, limits and idempotency live in `server/sync/`); it keeps rows and gives the
 * one guarantee those rules need, that writers to one dataset are serialized (`writeDataset`).
 */
import type { ConflictStrategy, SyncRecord } from "../../core/types.js";
import type { AppendEventInput, AppendedEvent } from "./stream-store.js";

/** A dataset's bookkeeping row. A deleted dataset keeps its row so counts are never reused. */
export interface DatasetRow {
  identityId: string;
  name: string;
  /** Bumped by exactly one per committed push or delete. */
  syncCount: number;
  /** Live (non-deleted) records. */
  recordCount: number;
  /** UTF-8 bytes of key + value of live records, plus the key of each tombstone. */
  sizeBytes: number;
  conflictStrategy: ConflictStrategy;
  createdAt: number;
  lastModifiedAt: number;
  lastModifiedBy: string | null;
  deleted: boolean;
  /** The sync count of the most recent deletion, or null if never deleted. */
  deletedAtSyncCount: number | null;
}

/** Where a page of records starts: strictly after this (syncCount, key) position. */
export interface RecordPosition {
  syncCount: number;
  key: string;
}

export interface ReadRecordsOptions {
  /** Only records with a syncCount greater than this. */
  sinceSyncCount: number;
  /** Only records ordered after this position (exclusive). */
  after?: RecordPosition | undefined;
  /** At most this many records. */
  limit: number;
}

/** One consistent read: the dataset row and the records of the page see the same commit. */
export interface RecordsSnapshot {
  dataset: DatasetRow | null;
  /** Ordered by (syncCount, key), tombstones included. */
  records: SyncRecord[];
}

/** A remembered push answer, for idempotent replay. */
export interface MutationRow {
  identityId: string;
  deviceId: string;
  mutationId: string;
  dataset: string;
  /** The push result as JSON, returned verbatim on replay. */
  resultJson: string;
  createdAt: number;
}

/**
 * A write transaction on one dataset. Everything written through it commits together when the
 * callback passed to `writeDataset` resolves, or not at all when it throws.
 */
export interface DatasetWriteTx {
  /** The dataset's row as of taking the lock (deleted rows too), or null if it never existed. */
  readonly dataset: DatasetRow | null;
  /** Live datasets of the identity, for the per-identity dataset limit. */
  countLiveDatasets(): Promise<number>;
  /** The stored records (tombstones included) among `keys`. */
  getRecords(keys: readonly string[]): Promise<Map<string, SyncRecord>>;
  /** Every stored record of the dataset, tombstones included (dataset deletes, merges). */
  getAllRecords(): Promise<SyncRecord[]>;
  /** The remembered answer for (identity, deviceId, mutationId), or null. */
  getMutation(deviceId: string, mutationId: string): Promise<string | null>;
  /** Inserts or replaces the dataset row. */
  saveDataset(row: DatasetRow): Promise<void>;
  /** Inserts or replaces records by key. */
  saveRecords(records: readonly SyncRecord[]): Promise<void>;
  /** Removes every record row of the dataset (used by dataset delete). */
  deleteAllRecords(): Promise<void>;
  /**
   * Removes the record rows of `keys` (expired model tombstones): the rows are gone, not marked
   * deleted. The dataset row's usage is the caller's to move.
   */
  deleteRecords(keys: readonly string[]): Promise<void>;
  /** Remembers a push answer. */
  saveMutation(row: Omit<MutationRow, "identityId">): Promise<void>;
  /**
   * Appends a stream event, committed with everything else in this transaction (the outbox of
   * `stream-store.ts`): takes the next sequence of the event's shard, and holds that shard's
   * counter until commit, so sequences are gap-free and increase in commit order. Call it last,
   * just before the callback returns, to hold the shard for as short a time as possible.
   */
  appendEvent(event: AppendEventInput): Promise<AppendedEvent>;
}

/** Datasets, their records and remembered push answers. */
export interface DatasetStore {
  /** The dataset's row, deleted ones included, or null if it never existed. */
  getDataset(identityId: string, name: string): Promise<DatasetRow | null>;
  /** The identity's live datasets, ordered by name. */
  listDatasets(identityId: string): Promise<DatasetRow[]>;
  /** A page of records changed after `sinceSyncCount`, read in one snapshot with the dataset row. */
  readRecords(identityId: string, dataset: string, options: ReadRecordsOptions): Promise<RecordsSnapshot>;
  /**
   * A sync count to read after (`readRecords`' `sinceSyncCount`) for every record whose server
   * change time (`lastModifiedAt`) is at or after `sinceMs`: one less than the lowest sync count
   * among them, or, when none changed since then, the dataset's own count (0 when it never
   * existed). Read from an index of the changed records alone. Change times need not rise with
   * sync counts for the answer to hold; where they do not, the read past it also returns records
   * changed before `sinceMs`, never misses one changed after.
   */
  syncCountBeforeChangesSince(identityId: string, dataset: string, sinceMs: number): Promise<number>;
  /**
   * Runs `fn` as the only writer of (identityId, dataset): concurrent calls for the same dataset
   * wait their turn, so sync counts are never skipped or reused. Commits when `fn` resolves, rolls
   * back when it throws (and rethrows). `fn` must not call other Storage methods that write.
   * `options.streamShard` lets the write commit together with others (below).
   */
  writeDataset<T>(identityId: string, dataset: string, fn: (tx: DatasetWriteTx) => Promise<T>, options?: DatasetWriteOptions): Promise<T>;
  /** Forgets remembered push answers created before `beforeMs`; returns how many. */
  purgeMutations(beforeMs: number): Promise<number>;
}

/** How a dataset write may be committed. */
export interface DatasetWriteOptions {
  /**
   * The stream shard the write appends its event to (any text naming pool and shard, the same for
   * every write to that shard), if it appends one at all; it must append to no other. PostgreSQL
   * commits the writes naming one shard together, one transaction for a group of them
   * (`postgres-group-commit.ts`); without it a write is its own transaction there. SQLite groups
   * every dataset write anyway and ignores it.
   */
  streamShard?: string;
  /**
   * The remembered answer the write looks up first (`DatasetWriteTx.getMutation`), if it does.
   * SQLite reads it in the statement that opens the write (with the identity's status and the
   * dataset's row), so the lookup costs no statement of its own; PostgreSQL sends its statement
   * along with the dataset row's, in the same round trip.
   */
  mutation?: { deviceId: string; mutationId: string };
  /**
   * The keys whose records the write reads first (`getRecords` of exactly these, before any
   * write), if it does. PostgreSQL sends that read along with the dataset row's too; SQLite ignores it.
   */
  recordKeys?: readonly string[];
}
