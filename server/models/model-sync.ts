/**
 * `sync<Ms>`: base and delta sync of a model's items, paged. Pages are the dataset's records in
 * sync-count order (`pullRecords`), so paging is stable while writes go on: a write during a sync
 * moves its item to the end, where a later page (or the next delta sync) picks it up.
 *
 * - `lastSync` 0 or null: base sync, every item including soft-deleted ones (`_deleted: true`);
 * - `lastSync` before the tombstone horizon (`tombstoneTtlDays` ago): base sync, as AppSync answers
 *   a `lastSync` older than its delta table's TTL; deletes that old may have been purged;
 * - `lastSync` > 0: delta sync, the items changed since then. The time becomes a sync count once,
 *   on the first page (`syncCountBeforeChangesSince`, an index of records by change time): the
 *   pages are then a pull after that count, which reads only the records changed since, never the
 *   whole model. Each page still keeps only items changed since the time, so it may hold fewer
 *   items than `limit` and still be followed by another.
 * - an owner's sync of a model kept in shared data (an owner rule beside others) pages the shared
 *   dataset and keeps the items naming the owner (`target.reaches`), so its pages may be sparse too.
 * - `startedAt` is the time the first page was served, the same on every page of one sync; the
 *   last page has `nextToken: null` (DataStore stops paging only on exactly null).
 */
import { SyncpoolError } from "../../core/errors.js";
import { pullRecords } from "../sync/pull-records.js";
import type { SyncDeps } from "../sync/types.js";
import { matchesFilter, type ModelFilter } from "./model-filter.js";
import { itemOf, type ModelItem, type ModelTarget } from "./model-items.js";
import { DEFAULT_TOMBSTONE_TTL_DAYS } from "./models-settings.js";
import { tombstoneHorizon } from "./tombstone-purge.js";

/** Page size when the client names none (AppSync's default). */
export const DEFAULT_SYNC_LIMIT = 100;
/** Largest page served; DataStore asks for 1000 by default. */
export const MAX_SYNC_LIMIT = 1000;
/**
 * A delta sync also answers items changed this long before `lastSync`: a write stamped just
 * before a sync started may commit just after the sync read, and must not be missed. Items sent
 * twice merge to the same result.
 */
export const DELTA_OVERLAP_MS = 5_000;

/** `sync<Ms>`'s arguments as DataStore sends them. */
export interface SyncArgs {
  limit?: number | null;
  nextToken?: string | null;
  lastSync?: number | null;
  filter?: ModelFilter | null;
}

/** `Model<M>Connection`. */
export interface ModelConnection {
  items: ModelItem[];
  nextToken: string | null;
  startedAt: number;
}

/** Where the next page starts, and what the sync started as (carried in `nextToken`). */
interface SyncPosition {
  after: string;
  startedAt: number;
  lastSync: number;
  /** The sync count the pages read after; left out when 0 (a base sync), keeping its tokens short. */
  sinceSyncCount?: number;
}

/** One page of `target`'s items for `args`. @throws SyncpoolError BAD_USER_INPUT for a bad limit or token. */
export async function syncItems(deps: SyncDeps, target: ModelTarget, args: SyncArgs, tombstoneTtlDays = DEFAULT_TOMBSTONE_TTL_DAYS): Promise<ModelConnection> {
  const limit = args.limit ?? DEFAULT_SYNC_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new SyncpoolError("BAD_USER_INPUT", "limit must be a positive integer", { field: "limit" });
  const position = args.nextToken ? decodePosition(args.nextToken) : null;
  const startedAt = position?.startedAt ?? deps.now();
  const asked = Math.max(0, args.lastSync ?? 0);
  const lastSync = position?.lastSync ?? (asked < tombstoneHorizon(startedAt, tombstoneTtlDays) ? 0 : asked);
  // Changed at or after `since`, that millisecond included: an item sent twice merges to the same
  // result, an item missed stays missed until the next base sync.
  const since = lastSync > 0 ? lastSync - DELTA_OVERLAP_MS : null;
  const sinceSyncCount =
    position?.sinceSyncCount ??
    (since === null ? 0 : await deps.storage.datasets.syncCountBeforeChangesSince(target.caller.identityId, target.dataset, since));
  const page = await pullRecords(deps, target.caller, {
    dataset: target.dataset,
    sinceSyncCount,
    first: Math.min(limit, MAX_SYNC_LIMIT),
    ...(position ? { after: position.after } : {}),
  });
  const items = page.records
    .filter((record) => since === null || record.lastModifiedAt >= since)
    .map(itemOf)
    .filter((item): item is ModelItem => item !== null && (!target.reaches || target.reaches(item)) && matchesFilter(item, args.filter));
  return {
    items,
    nextToken: page.nextCursor === null ? null : encodePosition({ after: page.nextCursor, startedAt, lastSync, ...(sinceSyncCount > 0 ? { sinceSyncCount } : {}) }),
    startedAt,
  };
}

function encodePosition(position: SyncPosition): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

function decodePosition(token: string): SyncPosition {
  try {
    const position = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<SyncPosition>;
    // No count: a base sync's token, or one from before tokens carried it (read from 0, the same items).
    const sinceSyncCount = position.sinceSyncCount ?? 0;
    if (typeof position.after === "string" && Number.isSafeInteger(position.startedAt) && Number.isSafeInteger(position.lastSync) && Number.isSafeInteger(sinceSyncCount) && sinceSyncCount >= 0) {
      return { after: position.after, startedAt: position.startedAt!, lastSync: position.lastSync!, sinceSyncCount };
    }
  } catch {
    // reported below
  }
  throw new SyncpoolError("BAD_USER_INPUT", "nextToken is not one this server gave out", { field: "nextToken" });
}
