/**
 * A committed change and its one path: the record of what a write changed (`CommittedChange`),
 * its records stamped with the new sync count (`nextSyncCount`, `stampRecord`), its stream event
 * appended inside the write's transaction (`appendCommitted`, the transactional outbox) and the
 * notice after commit (`announceCommitted`: hand the committed events to this process's stream
 * consumers, then push and metrics). Push, dataset delete and identity merge all commit through here, so the
 * order of these steps is written once.
 */
import type { RecordState } from "../core/merge.js";
import type { SyncRecord } from "../core/types.js";
import type { CommittedChange } from "./committed-change.js";
import type { DatasetWriteTx } from "./storage/storage.js";
import type { StreamEventRow } from "./storage/stream-store.js";
import { appendChangeEvent } from "./stream/event-body.js";

export type { ChangeOrigin, CommittedChange } from "./committed-change.js";

/** Who hears of a change after it commits (`SyncDeps` is one). */
export interface CommitListeners {
  /**
   * The event stream: `onAppended` hands this process's consumers the committed events (or, when
   * none are given, wakes them to read the shards). Must not throw.
   */
  stream: { onAppended(events?: readonly StreamEventRow[]): void };
  /** Push notifications and metrics. Must not throw or block: the change has already committed. */
  onCommitted?: (change: CommittedChange) => void;
}

/**
 * The next sync count of a dataset: every committed change moves it by exactly one, and stamps
 * the records it changed with the result. `current` is null for a dataset not yet stored.
 */
export function nextSyncCount(current: { syncCount: number } | null): number {
  return (current?.syncCount ?? 0) + 1;
}

/**
 * A record as a change commits it: its merged state stamped with the change's sync count and the
 * server time of the commit (epoch ms). Push and merge stamp every record they change here.
 */
export function stampRecord(state: RecordState, syncCount: number, committedAt: number): SyncRecord {
  return { ...state, syncCount, lastModifiedAt: committedAt };
}

/**
 * Appends the change's stream event inside `tx`, the transaction that writes the change: both
 * commit or neither does. Call it last in the transaction (the append holds the shard's sequence
 * until commit). `shards` is the pool's shard count; `committedAt` is server time, epoch ms;
 * `triggerKeys` names the records a sync trigger wrote (their event origin is `trigger`).
 * Resolves with the event as stored: pass it to `announceCommitted` once the transaction committed.
 */
export function appendCommitted(
  tx: DatasetWriteTx,
  shards: number,
  change: CommittedChange,
  committedAt: number,
  triggerKeys?: ReadonlySet<string>,
): Promise<StreamEventRow> {
  return appendChangeEvent(tx, shards, { ...change, committedAt, ...(triggerKeys ? { triggerKeys } : {}) });
}

/**
 * After the transaction committed: hands its stream events (`events`, as `appendCommitted`
 * returned them; the consumers read the shards when it is empty) to the stream consumers once,
 * then tells `onCommitted` of each change in order. Never called for a replayed, rejected or
 * empty write.
 */
export function announceCommitted(listeners: CommitListeners, changes: readonly CommittedChange[], events: readonly StreamEventRow[] = []): void {
  if (changes.length === 0) return;
  listeners.stream.onAppended(events);
  for (const change of changes) listeners.onCommitted?.(change);
}
