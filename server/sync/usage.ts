/**
 * How a change to one record moves a dataset's usage. Usage is kept on the dataset row and moved
 * by deltas under the dataset lock, so a push never re-reads the whole dataset to check limits.
 */
import { recordSizeBytes } from "../../core/limits.js";

export interface DatasetUsage {
  recordCount: number;
  sizeBytes: number;
}

interface SizedRecord {
  key: string;
  value: string | null;
  deleted: boolean;
}

/** What one stored record contributes: a live record counts once; a tombstone counts its key only. */
export function usageOf(record: SizedRecord | null | undefined): DatasetUsage {
  if (!record) return { recordCount: 0, sizeBytes: 0 };
  return {
    recordCount: record.deleted ? 0 : 1,
    sizeBytes: recordSizeBytes(record.key, record.deleted ? null : record.value),
  };
}

/** `usage` after `before` is replaced by `after`. */
export function moveUsage(usage: DatasetUsage, before: SizedRecord | null | undefined, after: SizedRecord): DatasetUsage {
  const removed = usageOf(before);
  const added = usageOf(after);
  return {
    recordCount: usage.recordCount - removed.recordCount + added.recordCount,
    sizeBytes: usage.sizeBytes - removed.sizeBytes + added.sizeBytes,
  };
}
