/**
 * What the event stream needs from storage: the events themselves (appended inside a dataset's
 * write transaction through `DatasetWriteTx.appendEvent`, read back here by shard and sequence),
 * consumer checkpoints and dead letters, and the bookkeeping of bulk publishes. Every backend
 * reaches it as `storage.stream` and passes `test/conformance/storage-suite-stream.ts`.
 *
 * Storage keeps rows only. Which shard an event belongs to, what its body says, how consumers
 * retry: all of that lives in `server/stream/`.
 */

/** One event to append; the storage assigns its sequence number. */
export interface AppendEventInput {
  poolId: string;
  shard: number;
  /** The identity id the shard was chosen from (Kinesis' partition key). */
  partitionKey: string;
  /** Server time of the append, epoch ms; stored as max(this, the shard's previous arrival). */
  arrivedAt: number;
  /** The event body as JSON text, stored verbatim. */
  data: string;
}

/** Where an appended event landed. */
export interface AppendedEvent {
  shard: number;
  /** Per shard: 1 for the first event, then gap-free in commit order. */
  sequence: number;
  /** The stored arrival time: never earlier than the shard's previous event's. */
  arrivedAt: number;
}

/** A stored event. */
export interface StreamEventRow {
  poolId: string;
  shard: number;
  sequence: number;
  partitionKey: string;
  arrivedAt: number;
  data: string;
}

/** The newest event of one shard: what consumers compare their checkpoints with. */
export interface ShardHead {
  poolId: string;
  shard: number;
  /** Sequence of the newest event ever appended (trimming does not lower it). */
  lastSequence: number;
  lastArrivedAt: number;
}

/** One shard of a pool as readers see it. */
export interface ShardRange extends ShardHead {
  /** Oldest retained sequence, or null when retention trimmed every event. */
  firstSequence: number | null;
}

/** How far one consumer got in one shard: every event up to `sequence` is done. */
export interface Checkpoint {
  consumer: string;
  poolId: string;
  shard: number;
  sequence: number;
  updatedAt: number;
}

/** An event a consumer gave up on after its attempts, kept (with its body) for replay. */
export interface DeadLetterRow extends StreamEventRow {
  /** Assigned by the storage, increasing. */
  id: number;
  consumer: string;
  attempts: number;
  lastError: string;
  failedAt: number;
}

/** A dead letter before the storage gave it an id. */
export type NewDeadLetter = Omit<DeadLetterRow, "id">;

/** Filters for `listDeadLetters`; ordered by id, at most `limit`. */
export interface DeadLetterFilter {
  consumer?: string | undefined;
  poolId?: string | undefined;
  /** Only ids greater than this (paging). */
  afterId?: number | undefined;
  limit: number;
}

/** Lifecycle of a pool's bulk publish (Cognito's BulkPublishStatus). */
export type BulkPublishStatus = "IN_PROGRESS" | "SUCCEEDED" | "FAILED";

/** The latest bulk publish of a pool. */
export interface BulkPublishRow {
  poolId: string;
  status: BulkPublishStatus;
  startedAt: number;
  finishedAt: number | null;
  /** Refreshed while the job runs; an old heartbeat means its process died. */
  heartbeatAt: number;
  /** Live datasets in the pool when the job started. */
  total: number;
  /** Datasets published so far. */
  published: number;
  failure: string | null;
}

/** A dataset, by its key, for walking a pool's datasets in pages. */
export interface DatasetKey {
  identityId: string;
  name: string;
}

/**
 * How many of the events whose body sizes are `sizes` (in order) a page of at most `maxBytes` holds:
 * those whose bodies fit together, and always the first, so that an event larger than the cap
 * can still be read (alone) and no reader is stuck behind it.
 */
export function eventsWithinBytes(sizes: readonly number[], maxBytes: number): number {
  let total = 0;
  for (let index = 0; index < sizes.length; index++) {
    total += sizes[index]!;
    if (index > 0 && total > maxBytes) return index;
  }
  return sizes.length;
}

/** The stream's storage; see the module comment. */
export interface StreamStore {
  /** Every shard of the pool that ever had an event, by shard number. */
  streamShards(poolId: string): Promise<ShardRange[]>;
  /** The head of every shard of every pool (one cheap query per consumer-runner tick). */
  streamHeads(): Promise<ShardHead[]>;
  /**
   * Events of one shard with sequence >= `fromSequence`, ascending, at most `limit`; with
   * `maxBytes`, also no more than fit in that many bytes of bodies (`eventsWithinBytes`), and the
   * bodies beyond are never loaded: a page of a thousand 1 MB events costs 4 MB, not 1 GB.
   */
  readStreamEvents(poolId: string, shard: number, fromSequence: number, limit: number, maxBytes?: number): Promise<StreamEventRow[]>;
  /** The first retained sequence of the shard whose arrival is at or after `atMs`, or null. */
  findStreamSequenceAt(poolId: string, shard: number, atMs: number): Promise<number | null>;
  /**
   * Deletes at most `limit` of the shard's oldest events that arrived before `beforeMs` (oldest
   * first, so what remains is a contiguous range). Returns how many. Callers loop in small batches
   * so the deletion never holds up writers for long.
   */
  trimStream(poolId: string, shard: number, beforeMs: number, limit: number): Promise<number>;
  /**
   * Deletes at most `limit` of the shard's oldest events while its event bodies total more than
   * `maxBytes` (the newest events that fit are kept); returns how many were deleted. Retention by
   * size, beside retention by age: a flood of large events cannot grow the stream without bound.
   */
  trimStreamToBytes(poolId: string, shard: number, maxBytes: number, limit: number): Promise<number>;

  /** The consumer's checkpoints, every pool and shard. */
  getCheckpoints(consumer: string): Promise<Checkpoint[]>;
  /** Records progress; a checkpoint never moves backwards (a lower sequence is ignored). */
  saveCheckpoint(checkpoint: Checkpoint): Promise<void>;
  /**
   * Stores a dead letter and moves the consumer's checkpoint past its event, in one transaction:
   * the event is either still due or parked, never lost between the two.
   */
  addDeadLetter(row: NewDeadLetter): Promise<DeadLetterRow>;
  listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetterRow[]>;
  getDeadLetter(id: number): Promise<DeadLetterRow | null>;
  /** Records another failed attempt (a replay that failed again). */
  updateDeadLetter(id: number, attempts: number, lastError: string, failedAt: number): Promise<void>;
  /** Removes a dead letter; false when there was none with that id. */
  deleteDeadLetter(id: number): Promise<boolean>;

  /** Live datasets of the pool's identities ordered by (identity, name), after `after`. */
  listPoolDatasets(poolId: string, after: DatasetKey | null, limit: number): Promise<DatasetKey[]>;
  /** How many live datasets the pool's identities have. */
  countPoolDatasets(poolId: string): Promise<number>;
  /**
   * Starts a bulk publish of the pool unless one is in progress with a heartbeat at or after
   * `staleBeforeMs`: replaces the pool's row with `row` and returns true, or returns false.
   */
  claimBulkPublish(row: BulkPublishRow, staleBeforeMs: number): Promise<boolean>;
  /** Progress, heartbeat and outcome of the pool's bulk publish. */
  updateBulkPublish(row: BulkPublishRow): Promise<void>;
  getBulkPublish(poolId: string): Promise<BulkPublishRow | null>;
}
