/**
 * What the event stream offers the sync operations (`server/sync/`): each pool's stream shape and
 * sync trigger, and the wake-up after a commit. The stream defines it and the sync operations
 * take it, so the stream never imports the sync operations.
 */
import type { ConflictStrategy } from "../../core/types.js";
import type { JsonRecordCheck } from "../identity/json-schemas.js";
import type { StreamEventRow } from "../storage/stream-store.js";
import type { SyncTrigger } from "./trigger-contract.js";

/** What the sync operations need from the event stream (`server/stream/`). */
export interface SyncStreamDeps {
  /** The pool's stream shape and sync trigger, read on every push (pools are cached). */
  poolStream(poolId: string): Promise<PoolStream>;
  /**
   * Called after a change and its event committed, with the events as stored (or none: the
   * consumers then read the shards). Must not throw.
   */
  onAppended(events?: readonly StreamEventRow[]): void;
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
