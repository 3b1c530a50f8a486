/**
 * pushRecords: applies a batch of patches to one dataset, all or nothing.
 *
 * Order of work, and why:
 * 1. validate the input (no lock held, nothing changes on a bad push); YDOC values in the worker
 *    pool (`server/ydoc/`), so no Yjs work runs on the event loop;
 * 2. under the dataset's write lock: answer a replay from the remembered result (idempotency must
 *    be decided under the lock, or two concurrent retries would both apply);
 * 3. OPTIMISTIC datasets: any patch based on a stale record sync count rejects the whole push
 *    with the server's records as conflicts, committing nothing;
 * 4. merge each patch into its stored record (`push-plan.ts`; YDOC merges prepared in the worker
 *    pool first, `ydoc-merges.ts`); with a sync trigger, apply its
 *    answer to the merged records; move usage by deltas and check limits;
 * 5. bump the dataset sync count by exactly one, stamp changed records with it, remember the
 *    answer under (identity, deviceId, mutationId), append the stream event, commit. The event is
 *    in the same transaction: a committed push is always in the stream, exactly once.
 *
 * Sync triggers and the lock. SQLite has one writer for the whole database, so a trigger called
 * under the lock (up to its time limit, 5 s by default) would stall every push of every dataset.
 * So a trigger runs with no lock held: a short read-only pass under the lock plans the push and
 * notes the dataset's version (sync count, deleted, strategy; every change to its records moves
 * the count); the trigger sees that plan; the commit pass re-plans under the lock and applies the
 * answer only if the version is unchanged. If another writer got in between, the trigger runs
 * again on the new state; after `OPTIMISTIC_TRIGGER_ATTEMPTS` such races it runs under the lock,
 * so a hot dataset still makes progress. A trigger may therefore run more than once for one push.
 */
import { SyncpoolError } from "../../core/errors.js";
import { checkDatasetCount } from "../../core/limits.js";
import type { ConflictStrategy, SyncRecord } from "../../core/types.js";
import { DEFAULT_YDOC_BUDGET } from "../../core/ydoc-budget.js";
import type { JsonRecordCheck } from "../identity/json-schemas.js";
import { materializeStoredJson } from "../../core/shown-value.js";
import type { DatasetRow, DatasetWriteTx } from "../storage/storage.js";
import type { StreamEventRow } from "../storage/stream-store.js";
import { announceCommitted, appendCommitted, nextSyncCount, type CommittedChange } from "../change.js";
import { shardOf } from "../stream/shard.js";
import type { SyncTrigger, SyncTriggerAnswer } from "../stream/trigger-contract.js";
import { prepareYdocMerges } from "../ydoc/ydoc-merges.js";
import { createInlineYdocWork, type YdocWork } from "../ydoc/ydoc-work.js";
import { finalizePush, findConflicts, planPush, type PushPlan } from "./push-plan.js";
import { rememberAnswer, replayAnswer } from "./remembered-answer.js";
import { checkSessionToken } from "./session-token.js";
import { applyTriggerDecisions, toTriggerEvent } from "./trigger-decisions.js";
import type { Caller, PoolStream, PushRecordsInput, PushResult, SyncDeps } from "./types.js";
import type { DatasetUsage } from "./usage.js";
import { validatePush, validateYdocPatches, type CheckedPatch } from "./validate-push.js";

/** Races with other writers tolerated before a trigger runs under the dataset lock. */
export const OPTIMISTIC_TRIGGER_ATTEMPTS = 3;

/** Applies a push for `caller`; see the module comment for the order of work. */
export async function applyPush(deps: SyncDeps, caller: Caller, input: PushRecordsInput): Promise<PushResult> {
  const patches = validatePush(input, caller.limits, deps.now());
  if (input.syncSessionToken) {
    checkSessionToken(deps.sessionSecrets(), input.syncSessionToken, caller.identityId, input.dataset);
  }
  // Every push writes its bytes again into the stream (and storage churn), even when it replaces
  // a value within quota: the identity's byte budget bounds how fast it can make the database grow.
  await deps.spendPushBytes?.(caller, pushedBytes(patches));
  const ydoc = deps.ydoc ?? INLINE_YDOC_WORK;
  await validateYdocPatches(patches, ydoc);
  const pool = await deps.stream.poolStream(caller.poolId);
  const push: Push = { deps, caller, input, patches, pool, ydoc };
  const outcome = pool.trigger ? await pushWithTrigger(push, pool.trigger) : await commitPush(push, null);
  if (outcome === RACED) throw new Error("unreachable: a push without a version check cannot race");
  const { result, triggered, event } = outcome;
  if (!result.replayed && result.conflicts.length === 0) {
    const records = result.records.filter((record) => record.syncCount === result.datasetSyncCount);
    announceCommitted(deps, [{ ...committed(push, result.datasetSyncCount, records), origin: triggered ? "trigger" : "device" }], event ? [event] : []);
  }
  return result;
}

interface Push {
  deps: SyncDeps;
  caller: Caller;
  input: PushRecordsInput;
  patches: CheckedPatch[];
  pool: PoolStream;
  ydoc: YdocWork;
}

/** The change a push commits at `syncCount`, stamping `records`; the caller sets its origin. */
function committed(push: Push, syncCount: number, records: SyncRecord[]): Omit<CommittedChange, "origin"> {
  const { caller, input } = push;
  return { poolId: caller.poolId, identityId: caller.identityId, dataset: input.dataset, syncCount, deviceId: input.deviceId, mutationId: input.mutationId, deleted: false, records, ...(caller.writer === undefined ? {} : { writer: caller.writer }) };
}

/** YDOC work for deps built without a pool (tests): in place, budget still checked. */
const INLINE_YDOC_WORK = createInlineYdocWork(DEFAULT_YDOC_BUDGET);

/** The push's answer, whether a trigger changed any record of it, and the stream event it committed. */
interface Outcome {
  result: PushResult;
  triggered: boolean;
  event?: StreamEventRow;
}

/** The commit pass found the dataset changed since the trigger saw it. */
const RACED = Symbol("raced");

/** Turns the plan into the plan to commit (a trigger's answer applied), or RACED. */
type Decide = (tx: DatasetWriteTx, plan: PushPlan) => Promise<PushPlan | typeof RACED>;

async function pushWithTrigger(push: Push, trigger: SyncTrigger): Promise<Outcome> {
  const { deps, caller, input } = push;
  for (let attempt = 0; attempt < OPTIMISTIC_TRIGGER_ATTEMPTS; attempt++) {
    const seen = await deps.storage.datasets.writeDataset(caller.identityId, input.dataset, (tx) => planUnderLock(push, tx), { mutation: input, recordKeys: keysOf(push) });
    if ("result" in seen) return seen; // a replay or OPTIMISTIC conflicts: the trigger is not asked
    const answer = await askTrigger(push, trigger, seen.plan);
    if (answer.outcome === "reject") throw rejection(answer.message); // nothing to commit: no second pass
    const outcome = await commitPush(push, async (tx, plan) =>
      versionOf(tx.dataset) === seen.version ? applyAnswer(push, tx, plan, answer) : RACED,
    );
    if (outcome !== RACED) return outcome;
  }
  // Still racing: hold the lock while the trigger runs, so this push cannot lose again.
  const outcome = await commitPush(push, async (tx, plan) => applyAnswer(push, tx, plan, await askTrigger(push, trigger, plan)));
  if (outcome === RACED) throw new Error("unreachable: the locked pass never races");
  return outcome;
}

/** The read-only pass: the plan the trigger is shown, and the dataset version it was made from. */
async function planUnderLock(push: Push, tx: DatasetWriteTx): Promise<Outcome | { plan: PushPlan; version: string }> {
  const state = await readState(push, tx);
  if ("result" in state) return state;
  return { plan: state.plan, version: versionOf(tx.dataset) };
}

/**
 * The commit pass: everything in one write transaction, the stream event included. `decide`
 * (with a trigger) turns the merged plan into the plan to commit, or gives up with RACED.
 */
async function commitPush(push: Push, decide: Decide | null): Promise<Outcome | typeof RACED> {
  const { deps, caller, input, pool } = push;
  // Naming the shard its event goes to lets this write commit with the shard's other pushes (PostgreSQL).
  const streamShard = `${caller.poolId}/${shardOf(caller.identityId, pool.shards)}`;
  return deps.storage.datasets.writeDataset(caller.identityId, input.dataset, async (tx): Promise<Outcome | typeof RACED> => {
    const state = await readState(push, tx);
    if ("result" in state) return state;
    const plan = decide ? await decide(tx, state.plan) : state.plan;
    if (plan === RACED) return RACED;

    const now = deps.now();
    const existing = tx.dataset && !tx.dataset.deleted ? tx.dataset : null;
    const syncCount = nextSyncCount(tx.dataset);
    const final = finalizePush(plan, existing, syncCount, now, caller.limits);
    if (pool.checkJson) checkJsonRecords(pool.checkJson, input.dataset, final.changed);
    await tx.saveRecords(final.changed);
    await tx.saveDataset(nextDatasetRow(tx.dataset, caller.identityId, input, final.usage, syncCount, plan.strategy, now));
    const result: PushResult = { datasetSyncCount: syncCount, records: final.records, conflicts: [], replayed: false };
    await tx.saveMutation({
      deviceId: input.deviceId,
      mutationId: input.mutationId,
      dataset: input.dataset,
      resultJson: rememberAnswer(result), // keys and counts only; a replay reads the records again
      createdAt: now,
    });
    const change = { ...committed(push, syncCount, final.changed), origin: "device" as const };
    const event = await appendCommitted(tx, pool.shards, change, now, final.triggerKeys);
    return { result, triggered: final.triggerKeys.size > 0, event };
  }, { streamShard, mutation: input, recordKeys: keysOf(push) }); // readState looks these up first
}

/** The pushed keys, whose records `readState` reads. */
const keysOf = (push: Push): string[] => push.patches.map((patch) => patch.key);

/**
 * Steps 2-4 under the lock: a remembered answer, the dataset limit, OPTIMISTIC conflicts (each
 * an early answer), or the merged plan.
 */
async function readState(push: Push, tx: DatasetWriteTx): Promise<Outcome | { plan: PushPlan }> {
  const { deps, caller, input, patches } = push;
  const remembered = await tx.getMutation(input.deviceId, input.mutationId);
  if (remembered !== null) return { result: await replayAnswer(remembered, (keys) => tx.getRecords(keys)), triggered: false };
  const existing = tx.dataset && !tx.dataset.deleted ? tx.dataset : null;
  if (!existing) checkDatasetCount((await tx.countLiveDatasets()) + 1, caller.limits);
  // A push that creates the dataset gives it the pool's default strategy (OPTIMISTIC for apps migrating from Cognito).
  const strategy: ConflictStrategy = existing?.conflictStrategy ?? push.pool.defaultConflictStrategy ?? "CRDT";
  const stored = await tx.getRecords(patches.map((patch) => patch.key));
  if (strategy === "OPTIMISTIC") {
    const conflicts = findConflicts(patches, stored);
    if (conflicts.length > 0) {
      return { result: { datasetSyncCount: tx.dataset?.syncCount ?? 0, records: [], conflicts, replayed: false }, triggered: false };
    }
  }
  // The Yjs merges this plan needs, worked out in the pool before the (synchronous) plan runs.
  const ydoc = await prepareYdocMerges(
    push.ydoc,
    patches.map((patch) => ({ before: stored.get(patch.key) ?? null, incoming: { kind: patch.kind, deleted: patch.op === "REMOVE", value: patch.value } })),
  );
  return { plan: planPush(patches, stored, strategy, input.deviceId, deps.now(), ydoc) };
}

async function askTrigger(push: Push, trigger: SyncTrigger, plan: PushPlan): Promise<SyncTriggerAnswer> {
  const { caller, input, pool } = push;
  return trigger(
    toTriggerEvent(plan, {
      region: pool.region,
      poolId: caller.poolId,
      identityId: caller.identityId,
      dataset: input.dataset,
      deviceId: input.deviceId,
      mutationId: input.mutationId,
    }),
  );
}

async function applyAnswer(push: Push, tx: DatasetWriteTx, plan: PushPlan, answer: SyncTriggerAnswer): Promise<PushPlan> {
  if (answer.outcome === "reject") throw rejection(answer.message);
  return applyTriggerDecisions(plan, answer.records, (keys) => tx.getRecords(keys), push.input.deviceId, push.deps.now());
}

/**
 * The pool's JSON Schemas hold for every JSON record this push changes, checked on the merged
 * object (what readers will see), after the trigger's answer. Throwing rolls the push back.
 */
function checkJsonRecords(check: JsonRecordCheck, dataset: string, changed: readonly SyncRecord[]): void {
  for (const record of changed) {
    if (record.kind !== "JSON" || record.deleted) continue;
    const object = materializeStoredJson(record.value);
    if (object !== null) check(dataset, record.key, object);
  }
}

/** UTF-8 bytes of the patches' keys and values, as the dataset quota counts them. */
function pushedBytes(patches: readonly CheckedPatch[]): number {
  return patches.reduce((sum, patch) => sum + Buffer.byteLength(patch.key) + ((patch.value === null ? 0 : Buffer.byteLength(patch.value))), 0);
}

/** TRIGGER_REJECTED carrying the trigger's own message (for the app to show). */
function rejection(message: string): SyncpoolError {
  return new SyncpoolError("TRIGGER_REJECTED", message, { triggerMessage: message });
}

/** Every change to a dataset's records moves its sync count; configuring it changes the strategy. */
function versionOf(row: DatasetRow | null): string {
  return row ? `${row.syncCount}:${row.deleted}:${row.conflictStrategy}` : "none";
}

function nextDatasetRow(
  previous: DatasetRow | null,
  identityId: string,
  input: PushRecordsInput,
  usage: DatasetUsage,
  syncCount: number,
  strategy: ConflictStrategy,
  now: number,
): DatasetRow {
  const live = previous && !previous.deleted ? previous : null;
  return {
    identityId,
    name: input.dataset,
    syncCount,
    recordCount: usage.recordCount,
    sizeBytes: usage.sizeBytes,
    conflictStrategy: strategy,
    createdAt: live?.createdAt ?? now,
    lastModifiedAt: now,
    lastModifiedBy: input.deviceId,
    deleted: false,
    deletedAtSyncCount: previous?.deletedAtSyncCount ?? null,
  };
}
