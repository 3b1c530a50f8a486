/**
 * A committed change, read as model events. The realtime channel listens to the change bus (not
 * to the model API's mutations), so every write of a model item reaches subscribers whoever made
 * it: DataStore through the model API, a syncpool client pushing the same JSON record, a trigger,
 * another instance of the cluster.
 *
 * Which event a record is: `_deleted: true` is a delete (AppSync's soft delete); otherwise a
 * record whose last write was a whole-object put (the model API's create, a client's `put`) is a
 * create, and one whose last write changed some fields is an update. DataStore merges creates and
 * updates alike, so a client's `put` over an existing item reaching `onCreate` costs it nothing.
 */
import { decodeJsonState } from "../../core/json-codec.js";
import type { SyncRecord } from "../../core/types.js";
import type { DatasetStore } from "../storage/dataset-store.js";
import type { CommittedChange } from "../sync/types.js";
import { itemOf, modelDataset, type ModelItem } from "./model-items.js";
import type { ModelOperation } from "./realtime-subscription.js";

/** One item change of a model. */
export interface ModelEvent {
  operation: ModelOperation;
  item: ModelItem;
}

/** The most records read back for a change that reached this instance without them. */
const MAX_OMITTED_RECORDS = 1000;

/**
 * The events `change` holds for model `modelName`: none for another dataset or a dataset
 * deletion. A change relayed from another instance without its records (too large for the bus)
 * has them read back: those stamped with its sync count.
 */
export async function modelEventsOf(change: CommittedChange, modelName: string, storage: Pick<DatasetStore, "readRecords">): Promise<ModelEvent[]> {
  if (change.dataset !== modelDataset(modelName) || change.deleted) return [];
  let records = change.records;
  if (change.recordsOmitted === true) {
    const page = await storage.readRecords(change.identityId, change.dataset, { sinceSyncCount: change.syncCount - 1, limit: MAX_OMITTED_RECORDS });
    records = page.records.filter((record) => record.syncCount === change.syncCount);
  }
  const events: ModelEvent[] = [];
  for (const record of records) {
    const item = itemOf(record);
    if (item !== null) events.push({ operation: operationOf(record, item), item });
  }
  return events;
}

function operationOf(record: SyncRecord, item: ModelItem): ModelOperation {
  if (item._deleted) return "Delete";
  try {
    return decodeJsonState(record.value!).write?.kind === "object" ? "Create" : "Update";
  } catch {
    return "Update";
  }
}
