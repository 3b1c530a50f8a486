/**
 * A model item as the server stores it, read straight from storage: what a test compares with what
 * a DataStore device shows. Model items are JSON records of the dataset `model-<Model>`, in the
 * pool's shared data (`_shared:<pool>`) or in their owner's (an identity id).
 */
import { materializeStoredJson } from "../../core/shown-value.js";
import type { Storage } from "../../server/storage/storage.js";

/** The item `id` of `model` in `owner`'s data, with its record's sync count as `_version`; null when absent. */
export async function storedModelItem(storage: Storage, owner: string, model: string, id: string): Promise<(Record<string, unknown> & { _version: number }) | null> {
  const page = await storage.datasets.readRecords(owner, `model-${model}`, { sinceSyncCount: 0, limit: 1000 });
  const record = page.records.find((candidate) => candidate.key === id);
  return record ? { ...(materializeStoredJson(record.value) as Record<string, unknown>), _version: record.syncCount } : null;
}
