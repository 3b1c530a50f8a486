/**
 * One sync pass over several datasets: for a full pass, every dataset this device holds plus every
 * dataset the server lists (so a new device discovers them). Datasets sync one after another; a
 * failing dataset does not stop the others, and the pass rejects with the first failure after
 * all have run. Each failure is also reported as `syncError` with its dataset, except those caused
 * by the client closing its database under the pass (`close()`, `signOut()`).
 */
import { readDatasetMetas } from "../store/read-records.js";
import type { SyncState, SyncTarget } from "./sync-loop.js";
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
  if (target === "all") {
    const remote = await ctx.authed((token) => ctx.transport.datasets(token));
    for (const dataset of remote) totals.set(dataset.name, dataset.recordCount);
    const local = (await readDatasetMetas(ctx.db)).map((meta) => meta.dataset);
    names = [...new Set([...local, ...remote.map((dataset) => dataset.name)])].sort();
  } else {
    names = [...target];
  }

  let firstError: unknown;
  for (const dataset of names) {
    try {
      const expectedTotal = totals.get(dataset);
      await syncDataset(ctx, dataset, { setState, ...(expectedTotal !== undefined ? { expectedTotal } : {}) });
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
  ctx.emitter.emit("syncDone", { datasets: names });
}
