/**
 * The identity-level change feed's storage: which datasets of some owners changed after a position
 * of their stream shard, and those datasets' changed records, read in one snapshot. Served from what
 * every commit already writes in its transaction (the stream event names the dataset and its new
 * sync count; the records carry their sync counts), so there is no second change log to fall out of
 * step. A shard's sequences are taken under its row lock, held to commit, so they are gap-free and
 * increase in commit order: a position read in a snapshot never has a later commit below it.
 */
import type { SyncRecord } from "../../core/types.js";
import type { DatasetRow } from "./dataset-store.js";

/** One shard to read: its position so far and the owners (identity or shared owner ids) it holds. */
export interface ShardScan {
  shard: number;
  /** Events at or below this sequence were seen already. */
  afterSequence: number;
  ownerIds: readonly string[];
}

/** What one shard showed: how far it reaches, whether the scan could start there, and its changes. */
export interface ShardChanges {
  shard: number;
  /** The shard's last committed sequence in the snapshot (0 when it never had an event). */
  headSequence: number;
  /** False when events after `afterSequence` were trimmed (retention): the position is too old. */
  contiguous: boolean;
  /** The owners' events after `afterSequence`, ascending, at most `maxEvents`. */
  events: FeedEvent[];
  /** True when `maxEvents` cut the events short: the shard is read up to the last one only. */
  truncated: boolean;
}

/** One committed change as the feed sees it. */
export interface FeedEvent {
  sequence: number;
  ownerId: string;
  dataset: string;
  /** The dataset's sync count after the change. */
  syncCount: number;
}

/** One changed dataset's state: its row and its records changed after a sync count. */
export interface DatasetChangesRead {
  ownerId: string;
  dataset: string;
  sinceSyncCount: number;
  row: DatasetRow | null;
  /** Ordered by (syncCount, key); empty when `cut`. */
  records: SyncRecord[];
  /** True when the records did not fit in what was left of `maxRecords`: none are returned. */
  cut: boolean;
}

/** A dataset to read the records of, those changed after `sinceSyncCount`. */
export interface DatasetRead {
  ownerId: string;
  dataset: string;
  sinceSyncCount: number;
}

/** The change feed's storage; see the module comment. */
export interface ChangeFeedStore {
  /**
   * In one snapshot: each scan's shard (`ShardChanges`), then `pick` chooses from those what to
   * read, and the chosen datasets' rows and records are read in the same snapshot, so the records
   * are at least as new as every event returned. The records of all datasets together stay within
   * `maxRecords`: a dataset whose records do not fit in what is left is returned `cut`.
   */
  readChanges(
    poolId: string,
    scans: readonly ShardScan[],
    maxEvents: number,
    maxRecords: number,
    pick: (shards: readonly ShardChanges[]) => readonly DatasetRead[],
  ): Promise<{ shards: ShardChanges[]; datasets: DatasetChangesRead[] }>;
}
