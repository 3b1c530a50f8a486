/**
 * records: a page of a dataset's changes after a sync count. The dataset row and the page are read
 * in one snapshot, so after the last page a device is up to date to `datasetSyncCount`.
 */
import { SyncpoolError } from "../../core/errors.js";
import { assertDatasetName } from "../../core/limits.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { issueSessionToken } from "./session-token.js";
import type { Caller, RecordPage, RecordsArgs, SyncDeps } from "./types.js";

/** Largest page a caller may ask for; a full dataset (1024 records) takes two pages at most. */
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 500;

/** Reads one page of changes for `caller`. An absent dataset is an empty page, not an error. */
export async function pullRecords(deps: SyncDeps, caller: Caller, args: RecordsArgs): Promise<RecordPage> {
  assertDatasetName(args.dataset, "dataset");
  const sinceSyncCount = args.sinceSyncCount ?? 0;
  if (!Number.isSafeInteger(sinceSyncCount) || sinceSyncCount < 0) {
    throw new SyncpoolError("BAD_USER_INPUT", "sinceSyncCount must be a non-negative integer", { field: "sinceSyncCount" });
  }
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new SyncpoolError("BAD_USER_INPUT", `first must be between 1 and ${MAX_PAGE_SIZE}`, { field: "first" });
  }
  const after = args.after ? decodeCursor(args.after) : undefined;

  // One extra record tells whether another page follows without a second query.
  const snapshot = await deps.storage.datasets.readRecords(caller.identityId, args.dataset, {
    sinceSyncCount,
    after,
    limit: first + 1,
  });
  const records = snapshot.records.slice(0, first);
  const last = records.at(-1);
  const dataset = snapshot.dataset;
  const datasetSyncCount = dataset?.syncCount ?? 0;
  return {
    records,
    datasetSyncCount,
    datasetExists: dataset !== null && !dataset.deleted,
    // A device that holds data from before a deletion must drop it. A device that claims a count
    // the server never reached (the server was restored from a backup) must start over likewise.
    deletedAfterSince:
      sinceSyncCount > 0 &&
      ((dataset?.deletedAtSyncCount ?? 0) > sinceSyncCount || sinceSyncCount > datasetSyncCount),
    // Conflict copies guest merges made of this dataset since the device's count (and within this
    // snapshot's count, so a merge committing right now shows up with its records, not before).
    mergedDatasetNames:
      dataset && !dataset.deleted
        ? await deps.storage.identities.listMergedDatasetNames(caller.identityId, args.dataset, sinceSyncCount, datasetSyncCount)
        : [],
    conflictStrategy: dataset && !dataset.deleted ? dataset.conflictStrategy : "CRDT",
    syncSessionToken: issueSessionToken(deps.sessionSecrets()[0]!, {
      identityId: caller.identityId,
      dataset: args.dataset,
      syncCount: datasetSyncCount,
      issuedAt: deps.now(),
    }),
    nextCursor: snapshot.records.length > first && last ? encodeCursor(last) : null,
  };
}
