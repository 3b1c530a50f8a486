/**
 * One sync pass over several datasets. A full pass covers every dataset this device holds plus
 * every dataset the server has: with the change feed (`feed-pass.ts`) one request tells which
 * changed and brings their changes, and only datasets with local writes, or that the answer could
 * not bring whole, take a pass of their own; without a feed cursor the server's list is fetched (so
 * a new device discovers every dataset) and each dataset is synced in turn. Datasets sync one after
 * another, each one's pull fetched while the one before is applied (`pull-pages.ts`); a failing
 * dataset does not stop the others, and the pass rejects with the first failure
 * after all have run (the feed cursor is stored only when none failed). Each failure is also
 * reported as `syncError` with its dataset, except those caused by the client closing its database
 * under the pass (`close()`, `signOut()`).
 */
import { saveChangesCursor } from "../store/changes-cursor.js";
import { countPending, readDatasetMetas } from "../store/read-records.js";
import { applyFeedChanges, feedAction, planFullPass, type FeedPlan } from "./feed-pass.js";
import type { SyncState, SyncTarget } from "./sync-loop.js";
import { prefetchPull, prefetchPlan, type PrefetchedPull } from "./pull-pages.js";
import { syncDataset, type SyncContext } from "./sync-dataset.js";

/** Errors already reported as `syncError` (the loop does not report them twice). */
export const reportedErrors = new WeakSet<object>();

/** Runs one pass (see the module comment). */
export async function runSyncPass(
  ctx: SyncContext,
  target: SyncTarget,
  setState: (state: SyncState) => void,
): Promise<void> {
  ctx.emitter.emit("syncStart", { datasets: target === "all" ? "all" : [...target] });
  const totals = new Map<string, number>();
  let names: string[];
  let plan: FeedPlan | null = null;
  if (target === "all") {
    setState("pulling");
    plan = await planFullPass(ctx);
    const local = (await readDatasetMetas(ctx.db)).map((meta) => meta.dataset);
    if (plan.mode === "feed") {
      names = [...new Set([...local, ...plan.changes.keys()])].sort();
    } else {
      const remote = await ctx.authed((token) => ctx.transport.datasets(token));
      for (const dataset of remote) totals.set(dataset.name, dataset.recordCount);
      names = [...new Set([...local, ...remote.map((dataset) => dataset.name)])].sort();
    }
  } else {
    names = [...target];
  }

  // Without the feed, each dataset's pull is fetched while the one before is applied.
  const ahead = plan?.mode === "feed" || names.length < 2 ? new Map<string, number>() : await prefetchPlan(ctx, names);
  let prefetched: PrefetchedPull | undefined;
  let firstError: unknown;
  for (const [index, dataset] of names.entries()) {
    const mine = prefetched?.dataset === dataset ? prefetched : undefined;
    prefetched = undefined;
    const next = names[index + 1];
    const pulled = () => {
      const since = next === undefined ? undefined : ahead.get(next);
      if (next !== undefined && since !== undefined) prefetched = prefetchPull(ctx, next, since, totals.get(next));
    };
    try {
      if (plan?.mode === "feed") {
        const meta = plan.metas.get(dataset);
        const hasLocalWrites = Boolean(meta?.pendingDelete || meta?.inFlight) || (await countPending(ctx.db, dataset)) > 0;
        const action = feedAction(plan, dataset, hasLocalWrites);
        if (action === "none") continue;
        if (action === "apply") {
          setState("applying");
          await applyFeedChanges(ctx, dataset, plan.changes.get(dataset)!);
          continue;
        }
      }
      const expectedTotal = totals.get(dataset);
      await syncDataset(ctx, dataset, { setState, pulled, ...(expectedTotal !== undefined ? { expectedTotal } : {}), ...(mine ? { prefetched: mine } : {}) });
    } catch (error) {
      // The client closed (or signed out) under the pass: the rest would fail the same way, and
      // the app caused it on purpose, so nothing is reported.
      if (!ctx.db.isOpen()) throw error;
      firstError ??= error;
      if (typeof error === "object" && error !== null) reportedErrors.add(error);
      ctx.emitter.emit("syncError", { error, dataset });
    }
  }
  if (firstError !== undefined) throw firstError;
  if (plan?.cursor) await saveChangesCursor(ctx.db, plan.cursor);
  ctx.emitter.emit("syncDone", { datasets: names });
}
