/**
 * What a live subscriber hears: one `DatasetChange` event per committed change of its identity,
 * shaped as the `DatasetChange` type of `schema/push-type-defs.ts`. Small changes carry their
 * records, so a device applies them without another pull; large ones carry only the new count.
 */
import type { SyncRecord } from "../../core/types.js";
import { isSharedOwnerId } from "../identity/shared-access.js";
import type { DatasetRow } from "../storage/storage.js";
import type { CommittedChange } from "../sync/types.js";

/** Records travel inline while their JSON is under this many UTF-8 bytes. */
export const MAX_INLINE_RECORDS_BYTES = 64 * 1024;

/** Envelope, field names, ids and count of one event as sent; generous, so small events still count. */
const EVENT_OVERHEAD_BYTES = 512;

/** One event of `datasetChanged`. */
export interface DatasetChangeEvent {
  dataset: string;
  /** The dataset's sync count after the change (or, for a `behind` event, the server's count now). */
  syncCount: number;
  /** The device that pushed; null for a dataset deletion, a server-side change or a `behind` event. */
  deviceId: string | null;
  /** The push's mutation id, so the writer's own tabs can skip it; null as for `deviceId`. */
  mutationId: string | null;
  /** The dataset was deleted: drop local records and pull from 0. */
  deleted: boolean;
  /**
   * The records the change stamped with `syncCount` (tombstones included), or null when they are
   * too large to inline (`MAX_INLINE_RECORDS_BYTES`) or unknown (`behind`): pull instead.
   */
  records: SyncRecord[] | null;
  /**
   * True for the first event of a subscription that resumed with a `sinceSyncCount` older than the
   * server's count: the device missed changes and should pull. Its `syncCount` is the server's.
   */
  behind: boolean;
  /** True for a shared dataset's change (its rows live under a shared owner id, `shared-access.ts`). */
  shared: boolean;
  /** Size estimate in bytes, for backpressure accounting; not part of the GraphQL type. */
  sizeBytes: number;
}

// One conversion per change, however many subscribers hear it.
const converted = new WeakMap<CommittedChange, DatasetChangeEvent>();

/** The event for a committed change, records inline when small. */
export function toDatasetEvent(change: CommittedChange): DatasetChangeEvent {
  let event = converted.get(change);
  if (event) return event;
  const recordsBytes = Buffer.byteLength(JSON.stringify(change.records), "utf8");
  // A change relayed from another instance without its records says so: never inline an empty list for it.
  const inline = change.recordsOmitted !== true && recordsBytes < MAX_INLINE_RECORDS_BYTES;
  event = {
    dataset: change.dataset,
    syncCount: change.syncCount,
    deviceId: change.deviceId,
    mutationId: change.mutationId,
    deleted: change.deleted,
    records: inline ? change.records : null,
    behind: false,
    shared: isSharedOwnerId(change.identityId),
    sizeBytes: EVENT_OVERHEAD_BYTES + (inline ? recordsBytes : 0),
  };
  converted.set(change, event);
  return event;
}

/** The "you are behind" event: the server's count of a dataset a device resumed at an older count. */
export function behindEvent(row: DatasetRow): DatasetChangeEvent {
  return {
    dataset: row.name,
    syncCount: row.syncCount,
    deviceId: null,
    mutationId: null,
    deleted: row.deleted,
    records: null,
    behind: true,
    shared: isSharedOwnerId(row.identityId),
    sizeBytes: EVENT_OVERHEAD_BYTES,
  };
}
