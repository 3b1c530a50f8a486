/**
 * What the sync operations take and return. Resolvers in `server/graphql/` pass a `Caller` built
 * from the verified token and return these shapes as they are (they match `schema/type-defs.ts`).
 */
import type { YdocWork } from "../ydoc/ydoc-work.js";
import type { Limits } from "../../core/types.js";
import type { Conflict, DatasetInfo, DeleteDatasetResult, PushRecordsInput, PushResult, RecordPage, Usage } from "../../schema/wire-types.js";
import type { Storage } from "../storage/storage.js";
import type { PoolStream, SyncStreamDeps } from "../stream/sync-stream.js";
import type { ChangeOrigin, CommittedChange } from "../committed-change.js";

export type { ChangeOrigin, CommittedChange, PoolStream, SyncStreamDeps };

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

export interface RecordsArgs {
  dataset: string;
  sinceSyncCount?: number | null;
  first?: number | null;
  after?: string | null;
}

export type { Conflict, DatasetInfo, DeleteDatasetResult, PushRecordsInput, PushResult, RecordPage, Usage };
