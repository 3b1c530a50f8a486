/**
 * Model items as JSON records. Each item is one JSON record keyed by its id in the model's
 * dataset (`model-<Name>`), so the stream, sync triggers, push and syncpool's own clients see
 * every change DataStore makes, and DataStore sees theirs. The AppSync metadata is the record's
 * own: `_version` is the record's sync count (it moves on every accepted write, and only then),
 * `_lastChangedAt` its server time, and `_deleted` a field of the item (AppSync's soft delete,
 * kept so a deleted item still answers with its fields).
 *
 * Writes go through `applyPush`, so they merge, count, trigger and stream like any push. The
 * conflict handler of the model decides the dataset's strategy: OPTIMISTIC_CONCURRENCY is an
 * OPTIMISTIC dataset (a write based on another `_version` is refused, whole), AUTOMERGE a CRDT
 * dataset (the written fields merge into the item with per-field clocks).
 */
import { randomUUID } from "node:crypto";
import { HybridClock } from "../../core/clock.js";
import { encodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut, applyJsonUpdate } from "../../core/json-record.js";
import { EMPTY_JSON_STATE } from "../../core/json-state.js";
import { materializeStoredJson } from "../../core/shown-value.js";
import type { ConflictStrategy, SyncRecord } from "../../core/types.js";
import { applyPush } from "../sync/apply-push.js";
import { configureDataset, getDataset } from "../sync/datasets.js";
import type { Caller, SyncDeps } from "../sync/types.js";

/** An item as DataStore reads it: the model's fields plus the metadata. */
export type ModelItem = Record<string, unknown> & { id: string; _version: number; _lastChangedAt: number; _deleted: boolean };

/** Where a model's items live and how they merge. */
export interface ModelTarget {
  caller: Caller;
  dataset: string;
  strategy: ConflictStrategy;
  /** The items of the dataset the requester reaches (its own, for an owner in shared data); absent: all of them. */
  reaches?: ((item: ModelItem) => boolean) | null;
}

/** The device id model writes carry (records' `lastModifiedBy`, stream events' `deviceId`). */
export const MODEL_WRITER_DEVICE = "appsync";

/** The dataset holding model `name`'s items. */
export function modelDataset(name: string): string {
  return `model-${name}`;
}

/** A stored record as a model item, or null for a record that is not one (no JSON object). */
export function itemOf(record: SyncRecord): ModelItem | null {
  if (record.kind !== "JSON" || record.deleted) return null;
  const object = materializeStoredJson(record.value);
  if (object === null) return null;
  // An item another client wrote (a syncpool client's JSON record) may lack AppSync's timestamps:
  // the record's own change time stands in, so the required fields always answer.
  const changedAt = new Date(record.lastModifiedAt).toISOString();
  return {
    createdAt: changedAt,
    updatedAt: changedAt,
    ...object,
    id: record.key,
    _version: record.syncCount,
    _lastChangedAt: record.lastModifiedAt,
    _deleted: object._deleted === true,
  };
}

/** The result of a write: the item as stored, or the current item when the write's version was stale. */
export type WriteOutcome = { item: ModelItem } | { conflict: ModelItem };

/** Reads and writes model items for one server, with its clock for field writes. */
export interface ModelItems {
  /** The item `id`, deleted or not, or null when there is none. */
  readItem(target: ModelTarget, id: string): Promise<ModelItem | null>;
  /**
   * Writes `fields` to item `id`: `replace` makes them the whole item (a create), otherwise only
   * they change. `baseVersion` is the `_version` the writer saw (0 for a new item); it decides
   * only in an OPTIMISTIC dataset.
   */
  writeItem(target: ModelTarget, id: string, fields: Record<string, unknown>, options: { replace: boolean; baseVersion: number }): Promise<WriteOutcome>;
}

/** Model items over `deps`' datasets. */
export function createModelItems(deps: SyncDeps): ModelItems {
  // One clock for every model write of this server keeps its field writes ordered.
  const clock = new HybridClock(MODEL_WRITER_DEVICE, deps.now);
  /**
   * The dataset merges as its model's conflict handler says. Checked on every write (one read of
   * the dataset row): a dataset deleted and re-created through syncpool's own API starts with the
   * pool's default strategy again.
   */
  const ensureStrategy = async (target: ModelTarget): Promise<void> => {
    const info = await getDataset(deps, target.caller, target.dataset);
    if (info?.conflictStrategy !== target.strategy) await configureDataset(deps, target.caller, target.dataset, target.strategy);
  };

  return {
    async readItem(target, id) {
      const record = await deps.storage.datasets.writeDataset(target.caller.identityId, target.dataset, async (tx) => (await tx.getRecords([id])).get(id) ?? null);
      return record === null ? null : itemOf(record);
    },
    async writeItem(target, id, fields, options) {
      await ensureStrategy(target);
      const at = clock.tick();
      const state = options.replace ? applyJsonPut(EMPTY_JSON_STATE, fields, at) : applyJsonUpdate(EMPTY_JSON_STATE, fields, at);
      const result = await applyPush(deps, target.caller, {
        dataset: target.dataset,
        deviceId: MODEL_WRITER_DEVICE,
        mutationId: randomUUID(),
        patches: [{ op: "REPLACE", key: id, kind: "JSON", value: encodeJsonState(state), syncCount: options.baseVersion }],
      });
      const conflict = result.conflicts[0];
      if (conflict) {
        const current = conflict.serverRecord && itemOf(conflict.serverRecord);
        if (current) return { conflict: current };
        throw new Error(`a conflict on ${id} without a stored item`);
      }
      const stored = result.records.find((record) => record.key === id);
      const item = stored && itemOf(stored);
      if (!item) throw new Error(`the push of ${id} answered no item`);
      return { item };
    },
  };
}
