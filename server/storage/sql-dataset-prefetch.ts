/**
 * What a PostgreSQL dataset write reads before its callback asks (`SqlDatasetTx.openPipelined`):
 * the reads the caller named in `DatasetWriteOptions`, sent with the dataset row's, each answered
 * once, before any write.
 */
import type { DatasetWriteOptions } from "./dataset-store.js";
import type { RecordSqlRow } from "./sql-dataset-rows.js";

/** The reads a write names up front (`DatasetWriteOptions`). */
export type DatasetPrefetch = Pick<DatasetWriteOptions, "mutation" | "recordKeys">;

/** Reads answered along with the dataset row (`openPipelined`), each taken once, before any write. */
export interface Prefetched {
  mutation?: { deviceId: string; mutationId: string; rows: Promise<Array<{ resultJson: string }>> };
  records?: { keys: readonly string[]; rows: Promise<RecordSqlRow[]> };
}

/** Whether two key lists are the same keys in the same order. */
export const sameKeys = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((key, index) => key === b[index]);
