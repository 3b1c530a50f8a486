/**
 * What the sync operations take and return. Resolvers in `server/graphql/` pass a `Caller` built
 * from the verified token and return these shapes as they are (they match `schema/type-defs.ts`).
 */
import type { YdocWork } from "../ydoc/ydoc-work.js";
import type { ConflictStrategy, Limits } from "../../core/types.js";
import type { Conflict, DatasetInfo, DeleteDatasetResult, PushRecordsInput, PushResult, RecordPage, Usage } from "../../schema/wire-types.js";
import type { Storage } from "../storage/storage.js";
import type { SyncTrigger } from "../stream/trigger-contract.js";
import type { JsonRecordCheck } from "../identity/json-schemas.js";
import type { ChangeOrigin, CommittedChange } from "../committed-change.js";

export type { ChangeOrigin, CommittedChange };

/** The verified identity a request acts for, with its pool's limits. */
export interface Caller {
  identityId: string;
  poolId: string;
  limits: Limits;
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
