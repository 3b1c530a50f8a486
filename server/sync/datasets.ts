/**
 * Dataset-level operations: list, describe, configure, delete, usage. Record changes go through
 * `applyPush`; a delete is the one dataset operation that also moves the sync count.
 */
import { assertDatasetName, checkDatasetCount } from "../../core/limits.js";
import type { ConflictStrategy } from "../../core/types.js";
import type { DatasetRow } from "../storage/storage.js";
import { announceCommitted, appendCommitted, nextSyncCount, type CommittedChange } from "../change.js";
import type { Caller, DatasetInfo, DeleteDatasetResult, SyncDeps, Usage } from "./types.js";

/** The caller's live datasets, by name. */
export async function listDatasets(deps: SyncDeps, caller: Caller): Promise<DatasetInfo[]> {
  return (await deps.storage.datasets.listDatasets(caller.identityId)).map(toInfo);
}

/** One live dataset of the caller, or null. */
export async function getDataset(deps: SyncDeps, caller: Caller, name: string): Promise<DatasetInfo | null> {
  assertDatasetName(name, "name");
  const row = await deps.storage.datasets.getDataset(caller.identityId, name);
  return row && !row.deleted ? toInfo(row) : null;
}

/**
 * Sets the conflict strategy, creating an empty dataset (within the dataset limit) when there is
 * none. Changing the strategy does not move the sync count: no record changed.
 */
export async function configureDataset(
  deps: SyncDeps,
  caller: Caller,
  name: string,
  conflictStrategy: ConflictStrategy,
): Promise<DatasetInfo> {
  assertDatasetName(name, "name");
  return deps.storage.datasets.writeDataset(caller.identityId, name, async (tx) => {
    const now = deps.now();
    const live = tx.dataset && !tx.dataset.deleted ? tx.dataset : null;
    if (!live) checkDatasetCount((await tx.countLiveDatasets()) + 1, caller.limits);
    const row: DatasetRow = live
      ? { ...live, conflictStrategy }
      : {
          identityId: caller.identityId,
          name,
          // A re-created dataset continues its old count, so no count is ever reused.
          syncCount: tx.dataset?.syncCount ?? 0,
          recordCount: 0,
          sizeBytes: 0,
          conflictStrategy,
          createdAt: now,
          lastModifiedAt: now,
          lastModifiedBy: null,
          deleted: false,
          deletedAtSyncCount: tx.dataset?.deletedAtSyncCount ?? null,
        };
    await tx.saveDataset(row);
    return toInfo(row);
  });
}

/**
 * Deletes a dataset's records and marks the row deleted at a new sync count; devices pulling from
 * an older count are told `deletedAfterSince`. Deleting an absent dataset is not an error. The
 * deletion's stream event (`operation: remove`) commits with it.
 */
export async function deleteDataset(deps: SyncDeps, caller: Caller, name: string): Promise<DeleteDatasetResult> {
  assertDatasetName(name, "name");
  const { shards } = await deps.stream.poolStream(caller.poolId);
  const result = await deps.storage.datasets.writeDataset(caller.identityId, name, async (tx): Promise<DeleteDatasetResult> => {
    const live = tx.dataset && !tx.dataset.deleted ? tx.dataset : null;
    if (!live) return { name, deleted: false, syncCount: tx.dataset?.syncCount ?? 0 };
    const syncCount = nextSyncCount(live);
    const now = deps.now();
    await tx.deleteAllRecords();
    await tx.saveDataset({
      ...live,
      syncCount,
      recordCount: 0,
      sizeBytes: 0,
      lastModifiedAt: now,
      lastModifiedBy: null,
      deleted: true,
      deletedAtSyncCount: syncCount,
    });
    await appendCommitted(tx, shards, deletion(caller, name, syncCount), now);
    return { name, deleted: true, syncCount };
  });
  if (result.deleted) announceCommitted(deps, [deletion(caller, name, result.syncCount)]);
  return result;
}

/** The committed change of deleting `name` at `syncCount`. */
function deletion(caller: Caller, name: string, syncCount: number): CommittedChange {
  return { poolId: caller.poolId, identityId: caller.identityId, dataset: name, syncCount, deviceId: null, mutationId: null, deleted: true, records: [], origin: "device", ...(caller.writer === undefined ? {} : { writer: caller.writer }) };
}

/** The caller\'s dataset count and bytes against the pool's limits. */
export async function getUsage(deps: SyncDeps, caller: Caller): Promise<Usage> {
  const datasets = await deps.storage.datasets.listDatasets(caller.identityId);
  return {
    identityId: caller.identityId,
    datasetCount: datasets.length,
    sizeBytes: datasets.reduce((sum, row) => sum + row.sizeBytes, 0),
    limits: caller.limits,
  };
}

function toInfo(row: DatasetRow): DatasetInfo {
  return {
    name: row.name,
    syncCount: row.syncCount,
    recordCount: row.recordCount,
    sizeBytes: row.sizeBytes,
    conflictStrategy: row.conflictStrategy,
    createdAt: row.createdAt,
    lastModifiedAt: row.lastModifiedAt,
    lastModifiedBy: row.lastModifiedBy,
  };
}
