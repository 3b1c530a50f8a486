/**
 * Conversions between stored rows and core's merge states, and the usage a record adds to its
 * dataset (the same rule as the server: a live record counts once and its key and value bytes, a
 * tombstone its key bytes only).
 */
import { recordSizeBytes } from "../../core/limits.js";
import type { RecordState } from "../../core/merge.js";
import type { SyncRecord } from "../../core/types.js";
import type { LocalRecord } from "./rows.js";

export interface DatasetUsage {
  recordCount: number;
  sizeBytes: number;
}

/** The merge state of a record (what core/merge compares and joins). */
export function toState(record: SyncRecord): RecordState {
  return {
    key: record.key,
    value: record.value,
    kind: record.kind,
    clock: record.clock,
    lastModifiedBy: record.lastModifiedBy,
    deviceLastModifiedAt: record.deviceLastModifiedAt,
    deleted: record.deleted,
  };
}

/** A server record as a local row of `dataset`. */
export function toLocal(dataset: string, record: SyncRecord): LocalRecord {
  // Written out rather than spread from toState: a pull converts every record it brings.
  return {
    key: record.key,
    value: record.value,
    kind: record.kind,
    clock: record.clock,
    lastModifiedBy: record.lastModifiedBy,
    deviceLastModifiedAt: record.deviceLastModifiedAt,
    deleted: record.deleted,
    dataset,
    syncCount: record.syncCount,
    lastModifiedAt: record.lastModifiedAt,
  };
}

/** A local row without its dataset: the record as the app sees it. */
export function toSyncRecord(record: LocalRecord): SyncRecord {
  const { dataset: _dataset, ...rest } = record;
  return rest;
}

/** The usage of a set of records. */
export function usageOf(records: Iterable<Pick<SyncRecord, "key" | "value" | "deleted">>): DatasetUsage {
  let recordCount = 0;
  let sizeBytes = 0;
  for (const record of records) {
    if (!record.deleted) recordCount += 1;
    sizeBytes += recordSizeBytes(record.key, record.deleted ? null : record.value);
  }
  return { recordCount, sizeBytes };
}
