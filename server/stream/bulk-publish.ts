/**
 * Bulk publish (Cognito's BulkPublish): puts the current state of every live dataset of a pool
 * into the stream, one event per dataset with every live record (origin `bulk-publish`), so a new
 * consumer can start from a full copy. Each dataset is published inside its own write transaction,
 * so its event is a consistent snapshot ordered correctly among that dataset's pushes.
 *
 * One at a time per pool, across processes: the job's row in the database is claimed first and
 * its heartbeat refreshed as it goes; a job whose heartbeat is older than `STALE_AFTER_MS` died
 * with its process and may be started again. Progress (`published` of `total`) is in that row,
 * so the API shows a job the CLI runs, and the reverse.
 */
import { SyncpoolError } from "../../core/errors.js";
import type { Logger } from "../logger.js";
import type { Storage } from "../storage/storage.js";
import type { BulkPublishRow, DatasetKey } from "../storage/stream-store.js";
import { appendChangeEvent } from "./event-body.js";

/** A running job's heartbeat older than this means its process is gone. */
export const STALE_AFTER_MS = 60_000;
const PAGE_SIZE = 100;

/** What the API and the CLI show (`BulkPublishDetails`). */
export interface BulkPublishDetails {
  identityPoolId: string;
  status: "NOT_STARTED" | "IN_PROGRESS" | "SUCCEEDED" | "FAILED";
  startedAt: number | null;
  finishedAt: number | null;
  total: number;
  published: number;
  failureMessage: string | null;
}

export interface BulkPublishDeps {
  storage: Storage;
  now: () => number;
  logger: Logger;
}

/** The latest job of the pool; a job whose process died shows as FAILED. */
export async function bulkPublishDetails(deps: BulkPublishDeps, poolId: string): Promise<BulkPublishDetails> {
  const row = await deps.storage.stream.getBulkPublish(poolId);
  if (!row) return { identityPoolId: poolId, status: "NOT_STARTED", startedAt: null, finishedAt: null, total: 0, published: 0, failureMessage: null };
  const abandoned = row.status === "IN_PROGRESS" && row.heartbeatAt < deps.now() - STALE_AFTER_MS;
  return {
    identityPoolId: poolId,
    status: abandoned ? "FAILED" : row.status,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    total: row.total,
    published: row.published,
    failureMessage: abandoned ? "interrupted: the process running it stopped" : row.failure,
  };
}

/**
 * Claims the pool's job and returns its first row plus `run`, which publishes and resolves with
 * the final row (it never rejects: a failure is recorded as FAILED).
 * @throws SyncpoolError CONFLICT when a job of this pool is in progress.
 */
export async function startBulkPublish(
  deps: BulkPublishDeps,
  poolId: string,
  shards: number,
  options: { onProgress?: (row: BulkPublishRow) => void; signal?: AbortSignal } = {},
): Promise<{ row: BulkPublishRow; run: () => Promise<BulkPublishRow> }> {
  const now = deps.now();
  const row: BulkPublishRow = {
    poolId,
    status: "IN_PROGRESS",
    startedAt: now,
    finishedAt: null,
    heartbeatAt: now,
    total: await deps.storage.stream.countPoolDatasets(poolId),
    published: 0,
    failure: null,
  };
  if (!(await deps.storage.stream.claimBulkPublish(row, now - STALE_AFTER_MS))) {
    throw new SyncpoolError("CONFLICT", `a bulk publish of pool "${poolId}" is already in progress`, { identityPoolId: poolId });
  }
  return { row: { ...row }, run: () => publishAll(deps, row, shards, options) };
}

async function publishAll(
  deps: BulkPublishDeps,
  row: BulkPublishRow,
  shards: number,
  { onProgress, signal }: { onProgress?: (row: BulkPublishRow) => void; signal?: AbortSignal },
): Promise<BulkPublishRow> {
  const logger = deps.logger.child({ component: "bulk-publish", pool: row.poolId });
  try {
    let after: DatasetKey | null = null;
    for (;;) {
      if (signal?.aborted) throw new Error("stopped: the server shut down before it finished");
      const page = await deps.storage.stream.listPoolDatasets(row.poolId, after, PAGE_SIZE);
      for (const dataset of page) {
        if (await publishDataset(deps, row.poolId, shards, dataset)) row.published += 1;
      }
      row.total = Math.max(row.total, row.published); // datasets created meanwhile are published too
      row.heartbeatAt = deps.now();
      await deps.storage.stream.updateBulkPublish(row);
      onProgress?.({ ...row });
      if (page.length < PAGE_SIZE) break;
      after = page.at(-1)!;
    }
    Object.assign(row, { status: "SUCCEEDED", finishedAt: deps.now(), total: row.published });
    logger.info({ published: row.published }, "bulk publish finished");
  } catch (error) {
    Object.assign(row, { status: "FAILED", finishedAt: deps.now(), failure: error instanceof Error ? error.message : String(error) });
    logger.error({ err: error }, "bulk publish failed");
  }
  row.heartbeatAt = deps.now();
  await deps.storage.stream.updateBulkPublish(row).catch((error: unknown) => logger.error({ err: error }, "recording the bulk publish outcome failed"));
  onProgress?.({ ...row });
  return { ...row };
}

/** One dataset's live records as one event; false when it was deleted meanwhile. */
async function publishDataset(deps: BulkPublishDeps, poolId: string, shards: number, dataset: DatasetKey): Promise<boolean> {
  return deps.storage.datasets.writeDataset(dataset.identityId, dataset.name, async (tx) => {
    if (!tx.dataset || tx.dataset.deleted) return false;
    const records = (await tx.getAllRecords()).filter((record) => !record.deleted);
    await appendChangeEvent(tx, shards, {
      poolId,
      identityId: dataset.identityId,
      dataset: dataset.name,
      syncCount: tx.dataset.syncCount,
      deviceId: null,
      mutationId: null,
      deleted: false,
      records,
      origin: "bulk-publish",
      committedAt: deps.now(),
    });
    return true;
  });
}
