/**
 * changes: what changed in an identity's datasets, and in the shared datasets it may read, since a
 * cursor, in one answer. The cursor is a position in the pool's event stream (`change-cursor.ts`):
 * each committed change appends one event in its own transaction, naming the dataset and its new
 * sync count, and a shard's sequences increase in commit order (its row lock is held to commit). So
 * the events after the position name every dataset that changed since, and the lowest sync count
 * among a dataset's events tells from where to read its records; the records and the new position
 * are read in one snapshot (`ChangeFeedStore`). A cursor older than the stream's retention, or from
 * another shard layout, answers `resync`: the device pulls each dataset, then uses the new cursor.
 */
import { SyncpoolError } from "../../core/errors.js";
import type { ChangeFeed, DatasetChanges } from "../../schema/wire-types.js";
import type { DatasetRead, ShardChanges } from "../storage/change-feed-store.js";
import { shardOf } from "../stream/shard.js";
import { decodeChangeCursor, encodeChangeCursor } from "./change-cursor.js";
import type { Caller, SyncDeps } from "./types.js";

/** Largest `first` (records in one answer). */
export const MAX_FEED_RECORDS = 1000;
export const DEFAULT_FEED_RECORDS = 500;
/** Events read per owner and shard in one answer; past it the answer says `more`. */
export const MAX_FEED_EVENTS = 1000;

/** Whose changes the caller may see: its own readable datasets, and shared owners' readable ones. */
export interface FeedReaders {
  /** True when the caller may read its own dataset `name`. */
  readsOwn(name: string): boolean;
  /** Owner ids of the shared datasets the caller may read some of. */
  sharedOwnerIds: readonly string[];
  /** True when the caller may read shared dataset `dataset` stored under `ownerId`. */
  readsShared(ownerId: string, dataset: string): Promise<boolean>;
}

export interface ChangesArgs {
  cursor?: string | null;
  first?: number | null;
}

/** Answers `changes` for `caller` (see the module comment). */
export async function readChanges(deps: SyncDeps, caller: Caller, readers: FeedReaders, args: ChangesArgs): Promise<ChangeFeed> {
  const first = args.first ?? DEFAULT_FEED_RECORDS;
  if (!Number.isSafeInteger(first) || first < 1 || first > MAX_FEED_RECORDS) {
    throw new SyncpoolError("BAD_USER_INPUT", `first must be between 1 and ${MAX_FEED_RECORDS}`, { field: "first" });
  }
  const given = args.cursor ? decodeChangeCursor(args.cursor) : null;
  const { shards } = await deps.stream.poolStream(caller.poolId);
  const usable = given !== null && given.shards === shards;
  const owners = [caller.identityId, ...readers.sharedOwnerIds];
  const scans = Array.from({ length: shards }, (_, shard) => ({
    shard,
    afterSequence: usable ? given.positions[shard]! : 0,
    // Without a usable cursor only the heads are read: the device pulls everything anyway.
    ownerIds: usable ? owners.filter((owner) => shardOf(owner, shards) === shard) : [],
  }));

  const read = await deps.storage.changes.readChanges(caller.poolId, scans, MAX_FEED_EVENTS, first, (seen) =>
    seen.every((shard) => shard.contiguous) ? changedDatasets(seen) : [],
  );
  const positions = read.shards.map((shard) => shard.headSequence);
  if (!usable || read.shards.some((shard) => !shard.contiguous)) {
    return { cursor: encodeChangeCursor({ shards, positions }), resync: true, more: false, datasets: [] };
  }

  const datasets: DatasetChanges[] = [];
  for (const change of read.datasets) {
    const shared = change.ownerId !== caller.identityId;
    if (shared ? !(await readers.readsShared(change.ownerId, change.dataset)) : !readers.readsOwn(change.dataset)) continue;
    const row = change.row;
    const live = row !== null && !row.deleted;
    // A deletion since the device's count is the per-dataset pull's to handle (deletedAfterSince).
    const complete = live && !change.cut && (row.deletedAtSyncCount ?? 0) <= change.sinceSyncCount;
    const datasetSyncCount = row?.syncCount ?? 0;
    datasets.push({
      name: change.dataset,
      shared,
      sinceSyncCount: change.sinceSyncCount,
      datasetSyncCount,
      complete,
      records: complete ? change.records : [],
      mergedDatasetNames:
        complete && !shared
          ? await deps.storage.identities.listMergedDatasetNames(caller.identityId, change.dataset, change.sinceSyncCount, datasetSyncCount)
          : [],
      conflictStrategy: live ? row.conflictStrategy : "CRDT",
    });
  }
  return {
    cursor: encodeChangeCursor({ shards, positions }),
    resync: false,
    more: read.shards.some((shard) => shard.truncated),
    datasets,
  };
}

/** The datasets the shards' events name, each from one below its lowest sync count among them. */
function changedDatasets(shards: readonly ShardChanges[]): DatasetRead[] {
  const byDataset = new Map<string, DatasetRead>();
  for (const shard of shards) {
    for (const event of shard.events) {
      const id = `${event.ownerId}\u0000${event.dataset}`;
      const since = event.syncCount - 1;
      const known = byDataset.get(id);
      if (!known) byDataset.set(id, { ownerId: event.ownerId, dataset: event.dataset, sinceSyncCount: since });
      else if (since < known.sinceSyncCount) known.sinceSyncCount = since;
    }
  }
  return [...byDataset.values()];
}
