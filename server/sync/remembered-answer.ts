/**
 * The answer a push leaves behind for idempotent replay, kept small. Storing the whole answer
 * (every record's value) made each push of a 1 MB record cost another 1 MB for 48 hours; what is
 * kept now is the dataset count and, per record of the answer, its key and sync count.
 *
 * A replay rebuilds the answer from the records as stored now. A record still at the count it had
 * in the answer is the same record, so it comes back as it was answered. A record changed since
 * (another push, a delete, a purge) is left out: the device's next pull delivers its newer
 * version, as for any later change, and handing it over in an ack instead would let an OPTIMISTIC
 * device take another device's write as the base of its own pending one.
 */
import type { SyncRecord } from "../../core/types.js";
import type { PushResult } from "./types.js";

/** What is stored: `[key, syncCount]` per record of the answer. */
interface RememberedAnswer {
  datasetSyncCount: number;
  recordCounts: Array<[string, number]>;
}

/** The remembered form of a committed push's answer, as JSON. */
export function rememberAnswer(result: PushResult): string {
  const remembered: RememberedAnswer = {
    datasetSyncCount: result.datasetSyncCount,
    recordCounts: result.records.map((record) => [record.key, record.syncCount]),
  };
  return JSON.stringify(remembered);
}

/**
 * The replayed answer (`replayed: true`) from what `rememberAnswer` stored, reading the records'
 * current state with `getRecords`. Answers stored whole by earlier versions are returned as stored.
 */
export async function replayAnswer(json: string, getRecords: (keys: readonly string[]) => Promise<Map<string, SyncRecord>>): Promise<PushResult> {
  const stored = JSON.parse(json) as RememberedAnswer | PushResult;
  if (!("recordCounts" in stored)) return { ...stored, replayed: true };
  const current = await getRecords(stored.recordCounts.map(([key]) => key));
  const records = stored.recordCounts.flatMap(([key, syncCount]) => {
    const record = current.get(key);
    return record !== undefined && record.syncCount === syncCount ? [record] : [];
  });
  return { datasetSyncCount: stored.datasetSyncCount, records, conflicts: [], replayed: true };
}
