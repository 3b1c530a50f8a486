/**
 * Guest merge: every live dataset of the source identity merges into the same-named dataset of the
 * target, record by record (`merge-plan.ts`), in ONE storage transaction (`writeMerge`) that also
 * moves the source's logins to the target and disables the source as merged into it. Either all
 * of that commits or nothing does.
 *
 * Order of work, and why:
 * 1. list the source's datasets (no lock) and lock every pair the merge may write: (source, N),
 *    (target, N) and the conflict copy (target, `N.merged.<sourceId>`);
 * 2. under the locks, list again: a dataset the source created meanwhile was not locked, so the
 *    merge starts over with the datasets found there (rare; bounded by `MERGE_ATTEMPTS`);
 * 3. plan every dataset, then check the target's limits (dataset count, records and bytes per
 *    dataset) for the whole merge: a merge that would break one is refused before anything is
 *    written;
 * 4. write: each target dataset the merge changed moves its sync count by exactly one and stamps
 *    the records it changed; conflict copies are written likewise and remembered for
 *    `mergedDatasetNames`; the logins move and the source is disabled; last, each change appends
 *    its stream event (origin `merge`) in the same transaction;
 * 5. after commit, `deps.onCommitted` (origin `merge`) for push notifications.
 *
 * The source's own rows are left as they were (a disabled identity keeps its data).
 */
import { SyncpoolError } from "../../core/errors.js";
import { DATASET_NAME_PATTERN, checkDatasetCount } from "../../core/limits.js";
import type { ConflictStrategy, Limits } from "../../core/types.js";
import { DEFAULT_YDOC_BUDGET } from "../../core/ydoc-budget.js";
import type { DatasetRef, MergeWriteTx } from "../storage/identity-store.js";
import type { DatasetRow, DatasetWriteTx } from "../storage/storage.js";
import { announceCommitted, appendCommitted, nextSyncCount, stampRecord } from "../change.js";
import { createInlineYdocWork, type YdocWork } from "../ydoc/ydoc-work.js";
import { checkMergeGrowth, prepareDatasetMerge, type DatasetMergePlan } from "./merge-plan.js";
import type { CommittedChange, SyncDeps } from "./types.js";

/** How often a merge starts over because the source created a dataset while it was locking. */
export const MERGE_ATTEMPTS = 5;

/** Which identities merge, and the pool rules that bind the result. */
export interface MergeIdentitiesInput {
  poolId: string;
  sourceId: string;
  targetId: string;
  /** The target's pool limits. */
  limits: Limits;
}

/** What a merge did. */
export interface MergeIdentitiesResult {
  /** Target datasets the merge changed (created, records merged, or given a conflict copy). */
  mergedDatasets: string[];
  /** Conflict copies it wrote, `<name>.merged.<sourceId>`. */
  conflictCopies: string[];
}

/**
 * The name of the conflict copy of `dataset` for records of `sourceId`, or null when that would
 * not be a valid dataset name (longer than 128 characters).
 */
export function conflictCopyName(dataset: string, sourceId: string): string | null {
  const name = `${dataset}.merged.${sourceId}`;
  return DATASET_NAME_PATTERN.test(name) ? name : null;
}

/** The source is no longer active (another sign-in merged it first, or an admin disabled it). */
export class SourceNotActiveError extends Error {
  constructor(readonly mergedInto: string | null) {
    super(mergedInto ? `identity already merged into ${mergedInto}` : "identity is disabled");
  }
}

/** The source's datasets inside the transaction were not the ones locked: `live` names them. */
class DatasetsChanged extends Error {
  constructor(readonly live: string[]) {
    super("the source's datasets changed");
  }
}

/**
 * Merges `sourceId` into `targetId`; see the module comment for the order of work.
 * @throws SyncpoolError LIMIT_EXCEEDED (nothing changed), SourceNotActiveError.
 */
export async function mergeIdentities(deps: SyncDeps, input: MergeIdentitiesInput): Promise<MergeIdentitiesResult> {
  const { sourceId, targetId } = input;
  if (sourceId === targetId) throw new Error("an identity cannot merge into itself");
  const { shards } = await deps.stream.poolStream(input.poolId);
  // The datasets to lock are read before the transaction; a retry locks the ones the failed
  // attempt found inside its own, which are what the first list lacked, without another read.
  let names = (await deps.storage.datasets.listDatasets(sourceId)).map((row) => row.name);
  for (let attempt = 1; attempt <= MERGE_ATTEMPTS; attempt++) {
    try {
      const changes = await deps.storage.identities.writeMerge(sourceId, targetId, lockList(names, sourceId, targetId), async (tx) => {
        if (!tx.source || tx.source.poolId !== input.poolId) throw new Error(`identity ${sourceId} is not in pool ${input.poolId}`);
        if (tx.source.disabledAt !== null) throw new SourceNotActiveError(tx.source.mergedInto);
        const live = (await tx.listDatasets(sourceId)).map((row) => row.name);
        if (live.join("\n") !== names.join("\n")) throw new DatasetsChanged(live);
        const plans = await planAll(tx, input, names, deps.ydoc ?? createInlineYdocWork(DEFAULT_YDOC_BUDGET));
        await checkLimits(tx, input, plans);
        const now = deps.now();
        const committed = await writePlans(tx, input, plans, now);
        await tx.moveLogins(sourceId, targetId);
        await tx.markMerged(sourceId, targetId, now);
        // Transactional outbox, last (it holds the shard's counter until commit): each change's
        // stream event commits with it, origin `merge`.
        for (const { copy: _copy, ...change } of committed) {
          await appendCommitted(tx.dataset(targetId, change.dataset), shards, change, now);
        }
        return committed;
      });
      // Group memberships follow the kept identity. Shared datasets are stored under their pool's
      // or group's owner id, never under the source, so the merge above leaves them alone.
      await deps.storage.groups.moveGroupMemberships(sourceId, targetId);
      // After commit: stream consumers, push notifications. Must not throw; the merge succeeded.
      announceCommitted(deps, changes.map(({ copy: _copy, ...change }) => change));
      return {
        mergedDatasets: changes.filter((change) => !change.copy).map((change) => change.dataset),
        conflictCopies: changes.filter((change) => change.copy).map((change) => change.dataset),
      };
    } catch (error) {
      if (!(error instanceof DatasetsChanged)) throw error;
      names = error.live;
    }
  }
  throw new Error(`merging ${sourceId} into ${targetId}: its datasets kept changing (${MERGE_ATTEMPTS} attempts)`);
}

function lockList(names: readonly string[], sourceId: string, targetId: string): DatasetRef[] {
  return names.flatMap((name) => {
    const copy = conflictCopyName(name, sourceId);
    return [
      { identityId: sourceId, name },
      { identityId: targetId, name },
      ...(copy ? [{ identityId: targetId, name: copy }] : []),
    ];
  });
}

/** One target dataset's plan, and its conflict copy's when the merge makes one. */
interface PlannedDataset {
  name: string;
  tx: DatasetWriteTx;
  live: DatasetRow | null;
  strategy: ConflictStrategy;
  plan: DatasetMergePlan;
  /** The source's row, whose settings a newly created target dataset takes. */
  sourceRow: DatasetRow;
  copy: { name: string; tx: DatasetWriteTx; live: DatasetRow | null; plan: DatasetMergePlan } | null;
}

async function planAll(tx: MergeWriteTx, input: MergeIdentitiesInput, names: readonly string[], ydoc: YdocWork): Promise<PlannedDataset[]> {
  const planned: PlannedDataset[] = [];
  for (const name of names) {
    const sourceTx = tx.dataset(input.sourceId, name);
    const sourceRow = sourceTx.dataset!;
    const targetTx = tx.dataset(input.targetId, name);
    const live = liveRow(targetTx);
    const strategy = live?.conflictStrategy ?? sourceRow.conflictStrategy;
    const plan = await prepareDatasetMerge(ydoc, live, live ? await targetTx.getAllRecords() : [], await sourceTx.getAllRecords(), strategy);
    let copy: PlannedDataset["copy"] = null;
    if (plan.conflicts.length > 0) {
      const copyName = conflictCopyName(name, input.sourceId);
      if (copyName === null) {
        throw new SyncpoolError("LIMIT_EXCEEDED", `dataset "${name}" is too long a name for its conflict copy (.merged.${input.sourceId})`, {
          limit: "maxDatasetNameLength",
          max: 128,
          actual: `${name}.merged.${input.sourceId}`.length,
        });
      }
      const copyTx = tx.dataset(input.targetId, copyName);
      const copyLive = liveRow(copyTx);
      const copyPlan = await prepareDatasetMerge(ydoc, copyLive, copyLive ? await copyTx.getAllRecords() : [], plan.conflicts, "CRDT");
      copy = { name: copyName, tx: copyTx, live: copyLive, plan: copyPlan };
    }
    planned.push({ name, tx: targetTx, live, strategy, plan, sourceRow, copy });
  }
  return planned;
}

/** Every limit for the whole merge, before anything is written. */
async function checkLimits(tx: MergeWriteTx, input: MergeIdentitiesInput, plans: readonly PlannedDataset[]): Promise<void> {
  const liveBefore = (await tx.listDatasets(input.targetId)).length;
  const created = plans.reduce((count, planned) => count + (planned.live ? 0 : 1) + (planned.copy && !planned.copy.live ? 1 : 0), 0);
  if (created > 0) checkDatasetCount(liveBefore + created, input.limits);
  for (const planned of plans) {
    checkMergeGrowth(planned.plan, input.limits);
    if (planned.copy) checkMergeGrowth(planned.copy.plan, input.limits);
  }
}

/** A committed change of one target dataset; `copy` marks a conflict copy. */
type MergeChange = CommittedChange & { copy: boolean };

async function writePlans(tx: MergeWriteTx, input: MergeIdentitiesInput, plans: readonly PlannedDataset[], now: number): Promise<MergeChange[]> {
  const changes: MergeChange[] = [];
  for (const planned of plans) {
    // A merge that brings nothing new leaves the target's dataset (and its count) alone.
    if (planned.live && planned.plan.changes.length === 0 && !planned.copy) continue;
    const change = await writeDataset(planned.tx, input, planned.name, planned.live, planned.plan, planned.strategy, planned.sourceRow, now);
    changes.push({ ...change, copy: false });
    if (planned.copy) {
      const { copy } = planned;
      const copyChange = await writeDataset(copy.tx, input, copy.name, copy.live, copy.plan, planned.strategy, planned.sourceRow, now);
      changes.push({ ...copyChange, copy: true });
      await tx.saveMergedDataset({
        identityId: input.targetId,
        dataset: planned.name,
        syncCount: change.syncCount,
        mergedDataset: copy.name,
        sourceIdentityId: input.sourceId,
        mergedAt: now,
      });
    }
  }
  return changes;
}

/** Stores a plan's changes under a new sync count (the dataset is created or revived if needed). */
async function writeDataset(
  dataset: DatasetWriteTx,
  input: MergeIdentitiesInput,
  name: string,
  live: DatasetRow | null,
  plan: DatasetMergePlan,
  strategy: ConflictStrategy,
  sourceRow: DatasetRow,
  now: number,
): Promise<CommittedChange> {
  // A re-created dataset continues its old count, so no count is ever reused.
  const syncCount = nextSyncCount(dataset.dataset);
  const records = plan.changes.map((state) => stampRecord(state, syncCount, now));
  await dataset.saveRecords(records);
  await dataset.saveDataset({
    identityId: input.targetId,
    name,
    syncCount,
    recordCount: plan.usageAfter.recordCount,
    sizeBytes: plan.usageAfter.sizeBytes,
    conflictStrategy: live?.conflictStrategy ?? strategy,
    createdAt: live?.createdAt ?? now,
    lastModifiedAt: now,
    lastModifiedBy: live?.lastModifiedBy ?? sourceRow.lastModifiedBy,
    deleted: false,
    deletedAtSyncCount: dataset.dataset?.deletedAtSyncCount ?? null,
  });
  return {
    poolId: input.poolId,
    identityId: input.targetId,
    dataset: name,
    syncCount,
    deviceId: null,
    mutationId: null,
    deleted: false,
    records,
    origin: "merge",
  };
}

function liveRow(tx: DatasetWriteTx): DatasetRow | null {
  return tx.dataset && !tx.dataset.deleted ? tx.dataset : null;
}
