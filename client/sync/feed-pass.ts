/**
 * What a full pass (`sync()` of every dataset) asks the server when the transport has the change
 * feed: one `changes` request since the stored cursor instead of one pull per dataset. The answer
 * says per dataset what to do (`FeedPlan`): a dataset it brought complete, and that this device is
 * not behind on, is applied from the answer; one it could not bring whole, one this device is
 * behind on, and one with local writes to push go through the per-dataset pass (`syncDataset`);
 * every other dataset is already up to date. Without a cursor, or when the server cannot answer
 * for it (`resync`), every dataset is synced one by one as before, and the cursor taken first is
 * stored once they all succeeded.
 */
import type { DatasetChanges } from "../../schema/wire-types.js";
import type { OverwrittenReport } from "../events.js";
import { applyPull } from "../store/apply-pull.js";
import { readChangesCursor } from "../store/changes-cursor.js";
import { readDatasetMetas } from "../store/read-records.js";
import type { DatasetMeta } from "../store/rows.js";
import { sharedLocalName } from "../transport/shared-name.js";
import { emitOverwritten, type SyncContext } from "./sync-dataset.js";

/** How a full pass goes: every dataset one by one, or by the feed's answer. */
export type FeedPlan =
  | { mode: "each"; cursor: string | null }
  | { mode: "feed"; cursor: string; changes: Map<string, DatasetChanges>; metas: Map<string, DatasetMeta> };

/** Asks the feed since the stored cursor (following `more`); `each` when there is no usable cursor. */
export async function planFullPass(ctx: SyncContext): Promise<FeedPlan> {
  const changesCall = ctx.transport.changes?.bind(ctx.transport);
  if (!changesCall) return { mode: "each", cursor: null };
  let cursor = await readChangesCursor(ctx.db);
  const metas = new Map((await readDatasetMetas(ctx.db)).map((meta) => [meta.dataset, meta]));
  const changes = new Map<string, DatasetChanges>();
  for (;;) {
    const answer = await ctx.authed((token) => changesCall(token, cursor));
    if (answer.resync) return { mode: "each", cursor: answer.cursor };
    for (const change of answer.datasets) {
      const local = change.shared ? sharedLocalName(change.name) : change.name;
      // A shared dataset is synced only on devices whose app opened it.
      if (change.shared && !metas.has(local)) continue;
      const earlier = changes.get(local);
      // Over several answers a dataset's changes join: from the first one's count, with every record.
      changes.set(local, earlier ? joinChanges(earlier, change) : change);
    }
    cursor = answer.cursor;
    if (!answer.more) return { mode: "feed", cursor, changes, metas };
  }
}

/** What the feed plan does with one dataset. */
export function feedAction(plan: Extract<FeedPlan, { mode: "feed" }>, dataset: string, hasLocalWrites: boolean): "sync" | "apply" | "none" {
  const change = plan.changes.get(dataset);
  if (hasLocalWrites) return "sync";
  if (!change) return "none";
  const pulled = plan.metas.get(dataset)?.pulledSyncCount ?? 0;
  if (pulled >= change.datasetSyncCount) return "none";
  return change.complete && pulled >= change.sinceSyncCount ? "apply" : "sync";
}

/** Applies one dataset's changes from the feed answer, in one transaction, as a pull would. */
export async function applyFeedChanges(ctx: SyncContext, dataset: string, change: DatasetChanges): Promise<void> {
  const overwritten: OverwrittenReport[] = [];
  const applied = await applyPull(
    ctx.db,
    { dataset, records: change.records, datasetSyncCount: change.datasetSyncCount, conflictStrategy: change.conflictStrategy, dropSynced: false, datasetExists: true },
    ctx.clock,
    overwritten,
  );
  ctx.emitter.emit("syncProgress", { dataset, fetched: change.records.length });
  ctx.recordsChanged(dataset, applied.changed);
  emitOverwritten(ctx, overwritten);
  if (change.mergedDatasetNames.length > 0) ctx.emitter.emit("datasetsMerged", { dataset, mergedDatasetNames: change.mergedDatasetNames });
}

function joinChanges(earlier: DatasetChanges, later: DatasetChanges): DatasetChanges {
  return {
    ...later,
    sinceSyncCount: Math.min(earlier.sinceSyncCount, later.sinceSyncCount),
    complete: earlier.complete && later.complete,
    records: [...earlier.records, ...later.records],
    mergedDatasetNames: [...new Set([...earlier.mergedDatasetNames, ...later.mergedDatasetNames])],
  };
}
