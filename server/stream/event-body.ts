/**
 * The body of a stream event: Amazon Cognito Streams' Kinesis record format, so consumers written
 * for Cognito port over, plus our own fields (`deviceId`, `mutationId`, `origin`, and per record
 * `kind` and `origin`). docs/events.md documents every field; change both together.
 */
import type { RecordKind, SyncRecord } from "../../core/types.js";
import { shownRecordValue } from "../../core/shown-value.js";
import type { ChangeOrigin } from "../committed-change.js";
import type { DatasetWriteTx } from "../storage/storage.js";
import type { StreamEventRow } from "../storage/stream-store.js";
import { shardOf } from "./shard.js";

/** One record of an event, as Cognito's `kinesisSyncRecords[]` entries plus `kind` and `origin`. */
export interface KinesisSyncRecord {
  key: string;
  /** The value; null when `op` is `remove`. */
  value: string | null;
  syncCount: number;
  /** Server time the record was stored, epoch ms. */
  lastModifiedDate: number;
  /** The device's own time of the change, epoch ms. */
  deviceLastModifiedDate: number;
  op: "replace" | "remove";
  /**
   * Ours: `STRING`, `YDOC` (the value is a base64 Yjs update) or `JSON` (the value is the
   * record's materialized object as JSON text; `op` is `remove` when the record shows nothing).
   */
  kind: RecordKind;
  /** Ours: who wrote this record: the device, the sync trigger, a merge, or a bulk publish. */
  origin: ChangeOrigin;
}

/** A stream event's body (the `data` of a stream record). */
export interface StreamEventBody {
  identityPoolId: string;
  identityId: string;
  dataSetName: string;
  /** `replace`: records changed (or were published); `remove`: the dataset was deleted. */
  operation: "replace" | "remove";
  kinesisSyncRecords: KinesisSyncRecord[];
  /** Commit time, epoch ms. */
  lastModifiedDate: number;
  /** The dataset's sync count after the change. */
  syncCount: number;
  /** Always `Inline`: records travel in the event (Cognito could also point to S3). */
  payloadType: "Inline";
  /** Ours: the pushing device, or null (dataset delete, merge, bulk publish). */
  deviceId: string | null;
  /** Ours: the push's mutation id, or null. */
  mutationId: string | null;
  /** Ours: `trigger` when the sync trigger changed any record of the push, else where it came from. */
  origin: ChangeOrigin;
  /** Ours, shared datasets only (`identityId` is then the dataset's owner id): the identity that wrote. */
  writer?: string;
}

/** What an event is built from: a change as it commits. */
export interface ChangeEventInput {
  poolId: string;
  identityId: string;
  dataset: string;
  syncCount: number;
  deviceId: string | null;
  mutationId: string | null;
  /** True for a dataset deletion (`operation: remove`, no records). */
  deleted: boolean;
  /** The records to carry (changed ones for a push, every live one for a bulk publish). */
  records: readonly SyncRecord[];
  /** Where the change came from (`device`, `merge`, `bulk-publish`). */
  origin: ChangeOrigin;
  /** Keys whose stored record the sync trigger decided (changed, added or removed). */
  triggerKeys?: ReadonlySet<string> | undefined;
  /** Commit time, epoch ms. */
  committedAt: number;
  /** For a shared dataset: the identity that wrote. */
  writer?: string | undefined;
}

/** Builds the event body for a change. */
export function buildEventBody(change: ChangeEventInput): StreamEventBody {
  const triggerKeys = change.triggerKeys ?? new Set<string>();
  return {
    identityPoolId: change.poolId,
    identityId: change.identityId,
    dataSetName: change.dataset,
    operation: change.deleted ? "remove" : "replace",
    kinesisSyncRecords: change.records.map((record) => {
      // Consumers read values, not merge states: a JSON record shows as its materialized object.
      const value = shownRecordValue(record);
      return {
        key: record.key,
        value,
        syncCount: record.syncCount,
        lastModifiedDate: record.lastModifiedAt,
        deviceLastModifiedDate: record.deviceLastModifiedAt,
        op: value === null ? "remove" : "replace",
        kind: record.kind,
        origin: triggerKeys.has(record.key) ? "trigger" : change.origin,
      };
    }),
    lastModifiedDate: change.committedAt,
    syncCount: change.syncCount,
    payloadType: "Inline",
    deviceId: change.deviceId,
    mutationId: change.mutationId,
    origin: triggerKeys.size > 0 ? "trigger" : change.origin,
    ...(change.writer === undefined ? {} : { writer: change.writer }),
  };
}

/**
 * Appends the change's event inside the transaction `tx` that commits the change itself (the
 * transactional outbox): the change and its event commit together or not at all. Call it last in
 * the transaction. `shards` is the pool's shard count. Resolves with the event as stored, which
 * this process's consumers are handed once the transaction has committed (no read back).
 */
export async function appendChangeEvent(tx: DatasetWriteTx, shards: number, change: ChangeEventInput): Promise<StreamEventRow> {
  const input = {
    poolId: change.poolId,
    shard: shardOf(change.identityId, shards),
    partitionKey: change.identityId,
    arrivedAt: change.committedAt,
    data: JSON.stringify(buildEventBody(change)),
  };
  const { sequence, arrivedAt } = await tx.appendEvent(input);
  return { ...input, sequence, arrivedAt };
}
