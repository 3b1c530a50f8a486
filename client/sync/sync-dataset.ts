/**
 * One sync pass over one dataset: WHAT a sync does (the loop in `sync-loop.ts` decides when).
 *
 * 1. a local dataset delete is sent first;
 * 2. pushing: the outbox goes out batch by batch; each batch is stored with its mutation id before
 *    it is sent and acknowledged in one transaction. CLOCK_SKEW re-stamps the batch (new mutation
 *    id: the content changed) and retries; OPTIMISTIC conflicts go to the app's handler; a batch
 *    the server refuses for good (LIMIT_EXCEEDED, TRIGGER_REJECTED, BAD_USER_INPUT, FORBIDDEN)
 *    leaves the outbox and is reported as `writeRejected`, and the server's values come back with
 *    the pull. Any other verdict of the server (TRIGGER_FAILED, RATE_LIMITED past its retries...)
 *    still lets the pull run, and fails the pass after it; a network failure ends the pass;
 * 3. pulling: every page since the stored count (a `deletedAfterSince` answer restarts from 0),
 *    or the pull the full pass started ahead while the previous dataset was applied, when nothing
 *    was pushed and the count did not move since (`pull-pages.ts`);
 * 4. applying: the pages in one transaction, the cursor advanced with them.
 * RATE_LIMITED waits as long as the server says, then retries the call (a few times).
 */
import { SyncpoolError } from "../../core/errors.js";
import type { DeviceClock } from "../device-clock.js";
import type { Emitter, OverwrittenReport } from "../events.js";
import { applyPull } from "../store/apply-pull.js";
import { dropPending } from "../store/drop-pending.js";
import { finishDatasetDelete } from "../store/dataset-store.js";
import type { IdentityDb } from "../store/identity-db.js";
import type { WriteContext } from "../store/local-write.js";
import { ackBatch, setInFlight, takeBatch } from "../store/push-store.js";
import { readDatasetMeta } from "../store/read-records.js";
import type { InFlightBatch, LocalRecord } from "../store/rows.js";
import { isNetworkError } from "../transport/network-error.js";
import type { PushResult, Transport } from "../transport/transport.js";
import { callServer as call, pullAll, takePrefetched, type PrefetchedPull } from "./pull-pages.js";
import { resolveConflicts, type ConflictHandler } from "./resolve-conflicts.js";
import { isPermanentRefusal } from "./retry-policy.js";
import type { SyncState } from "./sync-loop.js";

export { retryAfterMs } from "./pull-pages.js";

/** What a pass needs from the client. */
export interface SyncContext {
  db: IdentityDb;
  transport: Transport;
  /** Calls the server with a valid token (renewing it once on UNAUTHENTICATED). */
  authed<T>(request: (token: string) => Promise<T>): Promise<T>;
  deviceId: string;
  clock: DeviceClock;
  write: WriteContext;
  emitter: Emitter;
  newMutationId(): string;
  conflictHandler(dataset: string): ConflictHandler | undefined;
  /** Local records changed by the server (documents bound to them update). */
  recordsChanged(dataset: string, records: readonly LocalRecord[]): void;
  /** Waits; injectable so tests with fake timers control it. */
  sleep(ms: number): Promise<void>;
  pageSize: number;
}

export interface DatasetPassOptions {
  setState(state: SyncState): void;
  /** Live records on the server, when known (progress totals on a first pull). */
  expectedTotal?: number;
  /** This dataset's pull, started ahead of its turn (`prefetchPull`); used when it still holds. */
  prefetched?: PrefetchedPull;
  /** Called once the pull is in, before it is applied: the pass may start the next pull. */
  pulled?(): void;
}

/** Most retries of a push after CLOCK_SKEW before the pass fails. */
const MAX_CALL_RETRIES = 3;
/** A guard against a pass that never ends (a handler that keeps picking stale values). */
const MAX_BATCHES_PER_PASS = 1_000;

/** Runs one pass over `dataset` (see the module comment). Throws CONFLICT when conflicts remain. */
export async function syncDataset(ctx: SyncContext, dataset: string, options: DatasetPassOptions): Promise<void> {
  const meta = await readDatasetMeta(ctx.db, dataset);
  if (meta?.pendingDelete) {
    await call(ctx, (token) => ctx.transport.deleteDataset(token, dataset));
    await finishDatasetDelete(ctx.db, dataset);
  }

  options.setState("pushing");
  // A push the server refuses must not stop the pull: this device still gets everyone else's
  // changes. The failure is raised once the pull is applied (the loop retries it when retryable).
  // A network failure ends the pass at once: the pull would only meet it (or its timeout) again.
  let pushFailure: { error: unknown } | null = null;
  let unresolved = new Set<string>();
  let pushedBatches = 0;
  try {
    ({ unresolved, pushedBatches } = await pushOutbox(ctx, dataset));
  } catch (error) {
    if (isNetworkError(error)) throw error;
    pushFailure = { error };
    pushedBatches = 1; // some batches may have gone out before the failure
  }

  options.setState("pulling");
  const since = (await readDatasetMeta(ctx.db, dataset))?.pulledSyncCount ?? 0;
  const wroteFirst = Boolean(meta?.pendingDelete) || pushedBatches > 0;
  const pull = await (takePrefetched(options.prefetched, dataset, since, wroteFirst) ?? pullAll(ctx, dataset, since, options.expectedTotal));
  options.pulled?.();

  options.setState("applying");
  const overwritten: OverwrittenReport[] = [];
  const applied = await applyPull(ctx.db, pull, ctx.clock, overwritten);
  ctx.recordsChanged(dataset, applied.changed);
  emitOverwritten(ctx, overwritten);
  if (pull.dropSynced || (applied.datasetGone && since > 0)) ctx.emitter.emit("datasetDeleted", { dataset });
  if (pull.mergedDatasetNames.length > 0) {
    ctx.emitter.emit("datasetsMerged", { dataset, mergedDatasetNames: pull.mergedDatasetNames });
  }
  if (pushFailure) throw pushFailure.error;
  if (unresolved.size > 0) {
    throw new SyncpoolError("CONFLICT", `${unresolved.size} unresolved conflict(s) in dataset ${dataset}`, {
      dataset,
      keys: [...unresolved],
    });
  }
}

/**
 * Pushes the outbox until it is empty (except unresolved conflicts); returns those keys and how
 * many batches went out.
 */
async function pushOutbox(ctx: SyncContext, dataset: string): Promise<{ unresolved: Set<string>; pushedBatches: number }> {
  const unresolved = new Set<string>();
  for (let round = 0; round < MAX_BATCHES_PER_PASS; round++) {
    const batch = await takeBatch(ctx.db, dataset, ctx.newMutationId, { skipKeys: unresolved });
    if (!batch) return { unresolved, pushedBatches: round };
    let pushed: { result: PushResult; sent: InFlightBatch };
    try {
      pushed = await pushBatch(ctx, dataset, batch);
    } catch (error) {
      if (!isPermanentRefusal(error)) throw error;
      await rejectBatch(ctx, dataset, batch, error);
      continue;
    }
    const { result, sent } = pushed;
    if (result.conflicts.length > 0) {
      // Nothing was committed; the resolved writes go out in a new batch with a new id.
      await setInFlight(ctx.db, dataset, null);
      const outcome = await resolveConflicts(
        ctx.db,
        dataset,
        result.conflicts,
        ctx.conflictHandler(dataset),
        ctx.write,
        ctx.emitter,
      );
      for (const key of outcome.unresolved) unresolved.add(key);
      ctx.recordsChanged(dataset, outcome.changed);
      continue;
    }
    const overwritten: OverwrittenReport[] = [];
    const changed = await ackBatch(ctx.db, dataset, sent, result.records, ctx.clock, overwritten);
    ctx.recordsChanged(dataset, changed);
    emitOverwritten(ctx, overwritten);
  }
  throw new Error(`dataset ${dataset}: the outbox did not drain in ${MAX_BATCHES_PER_PASS} batches`);
}

/**
 * The server refused `batch` for good: its writes leave the outbox, the local view is set to take
 * the server's values back at the pull that follows (`drop-pending.ts`), and the app hears of it.
 */
async function rejectBatch(ctx: SyncContext, dataset: string, batch: InFlightBatch, error: SyncpoolError): Promise<void> {
  const seqs = new Set(batch.seqs);
  const dropped = await dropPending(ctx.db, dataset, (row) => seqs.has(row.seq as number));
  ctx.recordsChanged(dataset, dropped.removed);
  const records = batch.patches.map((patch) => ({ key: patch.key, op: patch.op, value: patch.value ?? null, kind: patch.kind ?? "STRING" }));
  if (ctx.emitter.count("writeRejected") === 0) {
    console.warn(`syncpool: the server refused ${records.length} write(s) to dataset ${dataset} (${error.code}): ${error.message}; listen for 'writeRejected' to tell the user`);
  }
  ctx.emitter.emit("writeRejected", { dataset, code: error.code, error, records });
}

/** Sends one batch; after CLOCK_SKEW re-stamps it under a new mutation id and sends again. */
async function pushBatch(
  ctx: SyncContext,
  dataset: string,
  batch: InFlightBatch,
): Promise<{ result: PushResult; sent: InFlightBatch }> {
  let sent = batch;
  for (let attempt = 0; ; attempt++) {
    try {
      const input = { dataset, deviceId: ctx.deviceId, mutationId: sent.mutationId, patches: sent.patches };
      const result = await call(ctx, (token) => ctx.transport.pushRecords(token, input));
      return { result, sent };
    } catch (error) {
      if (!(error instanceof SyncpoolError) || error.code !== "CLOCK_SKEW" || attempt >= MAX_CALL_RETRIES) throw error;
      const serverTime = Number(error.details.serverTime);
      if (Number.isFinite(serverTime)) ctx.clock.correct(serverTime);
      sent = {
        mutationId: ctx.newMutationId(),
        seqs: sent.seqs,
        patches: sent.patches.map((patch) => ({ ...patch, clock: ctx.clock.tick() })),
      };
      await setInFlight(ctx.db, dataset, sent);
    }
  }
}

/** Tells the app of local writes a merge made lose (after the merge is stored). */
export function emitOverwritten(ctx: Pick<SyncContext, "emitter">, reports: readonly OverwrittenReport[]): void {
  for (const report of reports) ctx.emitter.emit("overwritten", report);
}
