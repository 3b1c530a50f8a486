/**
 * What the sync operations take and return. Resolvers in `server/graphql/` pass a `Caller` built
 * from the verified token and return these shapes as they are (they match `schema/type-defs.ts`).
 */
import type { YdocWork } from "../ydoc/ydoc-work.js";
import type { ConflictStrategy, Limits, SyncRecord } from "../../core/types.js";
import type { Conflict, DatasetInfo, DeleteDatasetResult, PushRecordsInput, PushResult, RecordPage, Usage } from "../../schema/wire-types.js";
import type { Storage } from "../storage/storage.js";
import type { SyncTrigger } from "../stream/trigger-contract.js";
import type { JsonRecordCheck } from "../identity/json-schemas.js";

/** The verified identity a request acts for, with its pool's limits. */
export interface Caller {
  identityId: string;
  poolId: string;
  limits: Limits;
  /**
   * For a shared dataset (`identityId` is then its owner id): the identity that asked. Carried
   * into the stream event and notifications as `writer`. Absent for an identity's own datasets.
   */
  writer?: string;
}

/** Where a committed change came from; carried into notifications and the event stream. */
export type ChangeOrigin = "device" | "trigger" | "merge" | "bulk-publish";

/** A change that has committed: the records it changed (as stored) or a dataset deletion. */
export interface CommittedChange {
  poolId: string;
  identityId: string;
  dataset: string;
  /** The dataset's sync count after the change. */
  syncCount: number;
  /** The device that pushed, or null for a dataset deletion or a server-side change. */
  deviceId: string | null;
  mutationId: string | null;
  /** True when the dataset was deleted. */
  deleted: boolean;
  /** The records the change stamped with `syncCount` (empty for a deletion). */
  records: SyncRecord[];
  origin: ChangeOrigin;
  /** For a shared dataset: the identity whose request made the change. */
  writer?: string;
  /**
   * True when the change reached this instance from another one without its records (too large
   * for the change bus, `server/push/relayed-change-bus.ts`): `records` is empty and subscribers
   * must pull. Absent on the instance that committed it.
   */
  recordsOmitted?: boolean;
}

/** What the sync operations need from the server. */
export interface SyncDeps {
  storage: Storage;
  /** Server time, epoch ms (injected so tests can move it). */
  now: () => number;
  /**
   * Keys of sync session tokens (HMAC-SHA256), newest first: the first signs, every one verifies
   * (after a rotation the previous key keeps verifying tokens handed out before it). Read per call.
   */
  sessionSecrets: () => readonly Uint8Array[];
  /**
   * Called after a change commits (never for a replay or a rejected push), for push
   * notifications. It must not throw and must not block: the push has already succeeded.
   */
  onCommitted?: (change: CommittedChange) => void;
  /** The event stream: every committed change appends its event in the same transaction. */
  stream: SyncStreamDeps;
  /**
   * Yjs work on YDOC values: budget, validation, merges (`server/ydoc/`). The server passes its
   * worker pool; when absent (tests that build deps by hand) the work runs in place.
   */
  ydoc?: YdocWork;
  /**
   * Takes `bytes` from the identity's budget of pushed bytes before a push touches storage.
   * Throws RATE_LIMITED (with `retryAfterMs`) when the budget is spent; absent: no budget.
   */
  spendPushBytes?: (caller: Caller, bytes: number) => Promise<void>;
}

/** What the sync operations need from the event stream (`server/stream/`). */
export interface SyncStreamDeps {
  /** The pool's stream shape and sync trigger, read on every push (pools are cached). */
  poolStream(poolId: string): Promise<PoolStream>;
  /** Called after a change and its event committed, to wake this process's consumers. Must not throw. */
  onAppended(): void;
}

/** A pool's stream settings as a push uses them. */
export interface PoolStream {
  /** Shard count: events go to `shardOf(identityId, shards)`. */
  shards: number;
  /** The pool's region, for the trigger event. */
  region: string;
  /** The pool's sync trigger, or null when it has none. */
  trigger: SyncTrigger | null;
  /** The strategy of datasets created by a push (the pool's `defaultConflictStrategy`); CRDT when absent. */
  defaultConflictStrategy?: ConflictStrategy;
  /** The pool's JSON Schemas as one check of a JSON record's materialized object; absent or null when none. */
  checkJson?: JsonRecordCheck | null;
}

export interface RecordsArgs {
  dataset: string;
  sinceSyncCount?: number | null;
  first?: number | null;
  after?: string | null;
}

export type { Conflict, DatasetInfo, DeleteDatasetResult, PushRecordsInput, PushResult, RecordPage, Usage };
