/**
 * What a PostgreSQL dataset write reads before its callback asks (`sql-dataset-opening.ts`): the
 * reads the caller named in `DatasetWriteOptions`, in the statement that reads the dataset row,
 * each answered once, before any write.
 */
import type { DatasetWriteOptions } from "./dataset-store.js";
import type { RecordSqlRow } from "./sql-dataset-rows.js";

/** The reads a write names up front (`DatasetWriteOptions`). */
export type DatasetPrefetch = Pick<DatasetWriteOptions, "mutation" | "recordKeys">;

/** Records read along with the dataset row (`SqlDatasetTx.pipelined`), taken once, before any write. */
export interface Prefetched {
  records?: { keys: readonly string[]; rows: RecordSqlRow[] };
}

/** Whether two key lists are the same keys in the same order. */
export const sameKeys = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((key, index) => key === b[index]);
