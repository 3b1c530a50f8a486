/**
 * The pull of one dataset: every page since a count, fetched one after another, and the server
 * calls' RATE_LIMITED retries. A full pass that syncs datasets one by one fetches the next
 * dataset's pages while the current one is applied (`prefetchPull`), so the network and the
 * server work while this device writes; a prefetched pull is used only when nothing happened to
 * the dataset in between that a pull taken then would have seen (see `takePrefetched`).
 */
import { SyncpoolError } from "../../core/errors.js";
import type { SyncRecord } from "../../core/types.js";
import type { PullOutcome } from "../store/apply-pull.js";
import { datasetsWithPending, readDatasetMetas } from "../store/read-records.js";
import type { RecordPage } from "../transport/transport.js";
import type { SyncContext } from "./sync-dataset.js";

/** Every page of a dataset's pull, joined. */
export interface PullAll extends PullOutcome {
  mergedDatasetNames: string[];
}

/** Most retries of one call after RATE_LIMITED before the pass fails. */
const MAX_CALL_RETRIES = 3;

/**
 * Fetches every page since `since`; restarts from 0 when the server says the data is gone. Emits
 * `syncProgress` after each page (with `total` on a pull from 0 when `expectedTotal` is known).
 */
export async function pullAll(ctx: SyncContext, dataset: string, since: number, expectedTotal?: number): Promise<PullAll> {
  let from = since;
  let dropSynced = false;
  const records: SyncRecord[] = [];
  const merged = new Set<string>();
  let after: string | null = null;
  let page: RecordPage;
  for (;;) {
    const args = { dataset, sinceSyncCount: from, first: ctx.pageSize, after };
    page = await callServer(ctx, (token) => ctx.transport.records(token, args));
    if (page.deletedAfterSince && from > 0) {
      dropSynced = true;
      from = 0;
      after = null;
      records.length = 0;
      continue;
    }
    for (const name of page.mergedDatasetNames) merged.add(name);
    for (const record of page.records) records.push(record);
    after = page.nextCursor;
    const total = expectedTotal !== undefined && from === 0 ? Math.max(expectedTotal, records.length) : undefined;
    ctx.emitter.emit("syncProgress", { dataset, fetched: records.length, ...(total !== undefined ? { total } : {}) });
    if (after === null) break;
  }
  return {
    dataset,
    records,
    datasetSyncCount: page.datasetSyncCount,
    conflictStrategy: page.conflictStrategy,
    dropSynced,
    datasetExists: page.datasetExists,
    mergedDatasetNames: [...merged],
  };
}

/** A pull started ahead of its dataset's turn. */
export interface PrefetchedPull {
  dataset: string;
  /** The pulled count the pull started from. */
  since: number;
  pull: Promise<PullAll>;
}

/**
 * Starts pulling `dataset` from `since` ahead of its turn. The pull's failure is kept for its turn,
 * when the pass meets it as it would meet its own pull's; nobody waits for an unused one.
 */
export function prefetchPull(ctx: SyncContext, dataset: string, since: number, expectedTotal?: number): PrefetchedPull {
  const pull = pullAll(ctx, dataset, since, expectedTotal);
  pull.catch(() => undefined);
  return { dataset, since, pull };
}

/**
 * Where a pass over `datasets` may pull ahead: the pulled count of each dataset without local
 * writes (pending, in flight, or a delete), read once at the start of the pass. A dataset that
 * gains writes later is still safe: its pass pushes them first and pulls again.
 */
export async function prefetchPlan(ctx: SyncContext, datasets: readonly string[]): Promise<Map<string, number>> {
  const [metas, pending] = await Promise.all([readDatasetMetas(ctx.db), datasetsWithPending(ctx.db)]);
  const byName = new Map(metas.map((meta) => [meta.dataset, meta]));
  const plan = new Map<string, number>();
  for (const dataset of datasets) {
    const meta = byName.get(dataset);
    if (meta?.pendingDelete || meta?.inFlight || pending.has(dataset)) continue;
    plan.set(dataset, meta?.pulledSyncCount ?? 0);
  }
  return plan;
}

/**
 * The prefetched pull of `dataset` when it still stands for a pull taken now: the pass wrote
 * nothing to the server first (no push, no dataset delete), and the dataset's pulled count is
 * still the one it started from (no live change or other pull moved it). Otherwise null, and the
 * pass pulls again.
 */
export function takePrefetched(prefetched: PrefetchedPull | undefined, dataset: string, since: number, wroteFirst: boolean): Promise<PullAll> | null {
  if (!prefetched || prefetched.dataset !== dataset || prefetched.since !== since || wroteFirst) return null;
  return prefetched.pull;
}

/** A server call with RATE_LIMITED handled: wait as told, retry a few times. */
export async function callServer<T>(ctx: SyncContext, request: (token: string) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.authed(request);
    } catch (error) {
      if (!(error instanceof SyncpoolError) || error.code !== "RATE_LIMITED" || attempt >= MAX_CALL_RETRIES) throw error;
      await ctx.sleep(retryAfterMs(error));
    }
  }
}

/** The wait a RATE_LIMITED error asks for (1 s when it does not say). */
export function retryAfterMs(error: SyncpoolError): number {
  const ms = Number(error.details.retryAfterMs);
  return Number.isFinite(ms) && ms >= 0 ? ms : 1_000;
}
