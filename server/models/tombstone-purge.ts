/**
 * Purging expired tombstones of model items. A deleted item (`_deleted: true`) stays so that delta
 * syncs carry the delete; after the pool's `models.tombstoneTtlDays` nobody can delta-sync from
 * before it (`model-sync.ts` answers such a sync as a base sync), so its record row is removed.
 * Runs on the server's purge schedule (`purge-schedule.ts`). Removing a tombstone is not a change:
 * no sync count moves and no stream event is written, as AppSync's table TTL deletes nothing a
 * client syncs.
 */
import type { SyncRecord } from "../../core/types.js";
import type { PoolRegistry } from "../identity/pools.js";
import { poolOwnerId } from "../identity/shared-access.js";
import type { RecordPosition } from "../storage/dataset-store.js";
import type { Storage } from "../storage/storage.js";
import { usageOf } from "../sync/usage.js";
import { itemOf, modelDataset } from "./model-items.js";
import { parseAppModels } from "./model-schema.js";

const DAY_MS = 86_400_000;
/** Records read per page while looking for expired tombstones, and removed per transaction. */
const PAGE_SIZE = 1000;

/** The time before which a model item's delete may already be purged. */
export function tombstoneHorizon(nowMs: number, ttlDays: number): number {
  return nowMs - ttlDays * DAY_MS;
}

/** What the purge reads and writes. */
export interface TombstonePurgeDeps {
  storage: Storage;
  pools: PoolRegistry;
  now: () => number;
}

/**
 * Removes every model item deleted before its pool's tombstone horizon, in every pool with
 * models: the pool's shared items and, for models with owner rules, each active identity's own.
 * Returns how many were removed.
 */
export async function purgeModelTombstones(deps: TombstonePurgeDeps): Promise<number> {
  let purged = 0;
  for (const view of await deps.pools.list()) {
    const pool = await deps.pools.get(view.id);
    if (!pool?.models) continue;
    const beforeMs = tombstoneHorizon(deps.now(), pool.models.tombstoneTtlDays);
    const models = parseAppModels(pool.models.schema).models;
    for (const model of models) purged += await purgeDataset(deps.storage, poolOwnerId(pool.id), modelDataset(model.name), beforeMs);
    const ownerDatasets = models.filter((model) => model.ownerScoped).map((model) => modelDataset(model.name));
    if (ownerDatasets.length === 0) continue;
    for (let afterId: string | null = null; ; ) {
      const identities = await deps.storage.identities.listIdentities(pool.id, afterId, PAGE_SIZE);
      for (const identity of identities) {
        // A disabled or merged identity writes nothing, this purge included; its rows wait.
        if (identity.disabledAt !== null) continue;
        for (const dataset of ownerDatasets) purged += await purgeDataset(deps.storage, identity.id, dataset, beforeMs);
      }
      if (identities.length < PAGE_SIZE) break;
      afterId = identities.at(-1)!.id;
    }
  }
  return purged;
}

/** Whether `record` is a model item deleted before `beforeMs`. */
function isExpiredTombstone(record: SyncRecord, beforeMs: number): boolean {
  return record.lastModifiedAt < beforeMs && itemOf(record)?._deleted === true;
}

async function purgeDataset(storage: Storage, identityId: string, dataset: string, beforeMs: number): Promise<number> {
  const expired: string[] = [];
  for (let after: RecordPosition | undefined; ; ) {
    const page = await storage.datasets.readRecords(identityId, dataset, { sinceSyncCount: 0, after, limit: PAGE_SIZE });
    if (page.dataset === null || page.dataset.deleted) return 0;
    for (const record of page.records) if (isExpiredTombstone(record, beforeMs)) expired.push(record.key);
    if (page.records.length < PAGE_SIZE) break;
    const last = page.records.at(-1)!;
    after = { syncCount: last.syncCount, key: last.key };
  }
  let purged = 0;
  for (let start = 0; start < expired.length; start += PAGE_SIZE) {
    const keys = expired.slice(start, start + PAGE_SIZE);
    purged += await storage.datasets.writeDataset(identityId, dataset, async (tx) => {
      if (tx.dataset === null || tx.dataset.deleted) return 0;
      // Checked again under the lock: a record written since the read is no tombstone to purge.
      const stillExpired = [...(await tx.getRecords(keys)).values()].filter((record) => isExpiredTombstone(record, beforeMs));
      if (stillExpired.length === 0) return 0;
      await tx.deleteRecords(stillExpired.map((record) => record.key));
      let { recordCount, sizeBytes } = tx.dataset;
      for (const record of stillExpired) {
        const usage = usageOf(record);
        recordCount -= usage.recordCount;
        sizeBytes -= usage.sizeBytes;
      }
      await tx.saveDataset({ ...tx.dataset, recordCount, sizeBytes });
      return stillExpired.length;
    });
  }
  return purged;
}
