/**
 * Cognito Sync's pool operations, for the pool's developer credentials: usage, bulk publish (over
 * `server/stream/bulk-publish.ts`), and the pool's events and configuration. Pools are configured in
 * the config file (or the admin API), so the two setters accept only what is already configured:
 * a migration script that re-applies its settings keeps working, a real change is refused with a
 * message saying where to make it.
 */
import { isSyncpoolError } from "../../core/errors.js";
import type { PoolRegistry } from "../identity/pools.js";
import type { PoolSettings } from "../identity/pool-settings.js";
import type { Storage } from "../storage/storage.js";
import type { DatasetKey } from "../storage/stream-store.js";
import { bulkPublishDetails, type BulkPublishDeps, type BulkPublishDetails } from "../stream/bulk-publish.js";
import { requireDeveloper, type AwsPrincipal } from "./aws-auth.js";
import { AwsError } from "./aws-errors.js";
import type { AwsRequest } from "./aws-request.js";

/** What the pool operations need. */
export interface CognitoSyncAdminDeps {
  storage: Storage;
  pools: PoolRegistry;
  bulk: BulkPublishDeps;
  /** Starts the pool's bulk publish in the background; CONFLICT while one runs. */
  startBulkPublish(pool: PoolSettings): Promise<BulkPublishDetails>;
}

/** Routes `/identitypools[/<pool>[/<operation>]]`. */
export async function cognitoSyncPoolOperation(
  deps: CognitoSyncAdminDeps,
  request: AwsRequest,
  principal: AwsPrincipal,
  poolId: string | null,
  operation: string | null,
): Promise<unknown> {
  const method = request.method.toUpperCase();
  if (poolId === null) {
    if (method !== "GET") throw unknown(request);
    const { pool } = requireDeveloper(principal, principal.pool.id);
    return { IdentityPoolUsages: [await poolUsage(deps.storage, pool.id)], Count: 1, MaxResults: Number(request.query.get("maxResults") ?? 1) };
  }
  const { pool } = requireDeveloper(principal, poolId);
  switch (`${method} ${operation ?? ""}`) {
    case "GET ":
      return { IdentityPoolUsage: await poolUsage(deps.storage, pool.id) };
    case "POST bulkpublish":
      try {
        await deps.startBulkPublish(pool);
      } catch (error) {
        if (isSyncpoolError(error) && error.code === "CONFLICT") throw new AwsError("DuplicateRequestException", 400, "A bulk publish of this identity pool is already in progress.");
        throw error;
      }
      return { IdentityPoolId: pool.id };
    case "POST getBulkPublishDetails": {
      const details = await bulkPublishDetails(deps.bulk, pool.id);
      return {
        IdentityPoolId: pool.id,
        BulkPublishStatus: details.status,
        ...(details.startedAt === null ? {} : { BulkPublishStartTime: details.startedAt / 1000 }),
        ...(details.finishedAt === null ? {} : { BulkPublishCompleteTime: details.finishedAt / 1000 }),
        ...(details.failureMessage === null ? {} : { FailureMessage: details.failureMessage }),
      };
    }
    case "GET events":
      return { Events: eventsOf(pool) };
    case "POST events":
      return unchangedOrRefuse(JSON.stringify(request.json()["Events"] ?? {}) === JSON.stringify(eventsOf(pool)), {}, "Events");
    case "GET configuration":
      return configurationOf(pool);
    case "POST configuration": {
      const body = request.json();
      const current = configurationOf(pool);
      const same = ["PushSync", "CognitoStreams"].every((field) => body[field] === undefined || JSON.stringify(body[field]) === JSON.stringify(current[field]));
      return unchangedOrRefuse(same, current, "PushSync and CognitoStreams");
    }
    default:
      throw unknown(request);
  }
}

/** A pool's usage: dataset bytes summed over its datasets (reads every dataset row: meant for occasional use). */
async function poolUsage(storage: Storage, poolId: string): Promise<Record<string, unknown>> {
  let bytes = 0;
  let lastModified = 0;
  let after: DatasetKey | null = null;
  for (;;) {
    const page = await storage.stream.listPoolDatasets(poolId, after, 200);
    for (const key of page) {
      const row = await storage.datasets.getDataset(key.identityId, key.name);
      if (row && !row.deleted) {
        bytes += row.sizeBytes;
        lastModified = Math.max(lastModified, row.lastModifiedAt);
      }
    }
    if (page.length < 200) break;
    after = page.at(-1)!;
  }
  return { IdentityPoolId: poolId, DataStorage: bytes, ...(lastModified > 0 ? { LastModifiedDate: lastModified / 1000 } : {}) };
}

/** Cognito's events map: the sync trigger, named by its module or URL. */
function eventsOf(pool: PoolSettings): Record<string, string> {
  const trigger = pool.syncTrigger;
  if (!trigger) return {};
  return { SyncTrigger: "module" in trigger ? trigger.module : trigger.url };
}

function configurationOf(pool: PoolSettings): Record<string, unknown> {
  return {
    IdentityPoolId: pool.id,
    PushSync: { ApplicationArns: [] },
    // The event stream is always on; the Kinesis endpoint reads it as a stream named after the pool.
    CognitoStreams: { StreamName: pool.id, StreamingStatus: "ENABLED" },
  };
}

function unchangedOrRefuse(same: boolean, answer: unknown, what: string): unknown {
  if (same) return answer;
  throw new AwsError("InvalidConfigurationException", 400, `${what} are set in syncpool's pool settings (config file or admin API), not through this API.`);
}

function unknown(request: AwsRequest): AwsError {
  return new AwsError("UnknownOperationException", 404, `No Cognito Sync operation is ${request.method} /${request.segments.join("/")}`);
}
