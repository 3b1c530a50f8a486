/**
 * Cognito Sync (REST-JSON, paths as in the AWS API reference) over our sync and push layers. The
 * identity operations need the identity's temporary credentials and act only on the identity in
 * the path, which must be the caller's; the pool's roles decide per dataset as for GraphQL. The
 * pool operations need the pool's developer credentials (`cognito-sync-admin.ts`).
 */
import { createHash } from "node:crypto";
import type { PolicyAction } from "../identity/access-settings.js";
import { isAllowed } from "../identity/policy.js";
import { registerDevice, subscribeToDataset, unsubscribeFromDataset, type DeviceDeps } from "../push/devices.js";
import { deleteDataset, getDataset, listDatasets } from "../sync/datasets.js";
import type { Caller, DatasetInfo, SyncDeps } from "../sync/types.js";
import { requireIdentity, type AwsPrincipal, type IdentityPrincipal } from "./aws-auth.js";
import { AwsError } from "./aws-errors.js";
import type { AwsRequest } from "./aws-request.js";
import { cognitoSyncPoolOperation, type CognitoSyncAdminDeps } from "./cognito-sync-admin.js";
import { listRecords, updateRecords } from "./cognito-sync-records.js";

/** What the operations need. */
export interface CognitoSyncDeps extends CognitoSyncAdminDeps {
  sync: SyncDeps;
  devices: DeviceDeps;
  /** Where RegisterDevice points devices (`SYNCPOOL_AWS_PUSH_GATEWAY_URL`); null: push sync is not configured. */
  pushGatewayUrl: string | null;
}

/**
 * Routes one request by method and path and runs it.
 * @throws AwsError (unknown route, refused), SyncpoolError (mapped by the caller).
 */
export async function cognitoSyncOperation(deps: CognitoSyncDeps, request: AwsRequest, principal: AwsPrincipal): Promise<unknown> {
  const [root, poolId, kind, identityId, sub, dataset, leaf, deviceId, ...rest] = request.segments;
  const method = request.method.toUpperCase();
  if (root !== "identitypools" || rest.length > 0) throw unknownRoute(request);
  if (poolId === undefined || kind === undefined || (kind !== "identities" && kind !== "identity")) {
    return cognitoSyncPoolOperation(deps, request, principal, poolId ?? null, kind ?? null);
  }
  if (identityId === undefined) throw unknownRoute(request);
  const caller = requireIdentity(principal, poolId, identityId);
  const callerOf = (): Caller => ({ identityId, poolId, limits: caller.pool.limits });

  if (kind === "identity") {
    if (sub === "device" && dataset === undefined && method === "POST") return registerAwsDevice(deps, callerOf(), request.json());
    throw unknownRoute(request);
  }
  if (sub === undefined && method === "GET") return describeIdentityUsage(deps.sync, callerOf());
  if (sub !== "datasets") throw unknownRoute(request);
  if (dataset === undefined) {
    if (method !== "GET") throw unknownRoute(request);
    const readable = (await listDatasets(deps.sync, callerOf())).filter((info) => allowed(caller, ["read"], info.name));
    return { Datasets: readable.map((info) => toAwsDataset(identityId, info)), Count: readable.length };
  }
  if (leaf === undefined) {
    if (method === "GET") {
      authorize(caller, ["read"], dataset);
      const info = await getDataset(deps.sync, callerOf(), dataset);
      if (!info) throw datasetNotFound(dataset);
      return { Dataset: toAwsDataset(identityId, info) };
    }
    if (method === "POST") {
      const body = request.json();
      const removes = Array.isArray(body["RecordPatches"]) && body["RecordPatches"].some((patch) => (patch as { Op?: unknown })?.Op === "remove");
      authorize(caller, removes ? ["write", "delete"] : ["write"], dataset);
      return updateRecords(deps.sync, callerOf(), dataset, body);
    }
    if (method === "DELETE") {
      authorize(caller, ["delete"], dataset);
      const info = await getDataset(deps.sync, callerOf(), dataset);
      if (!info) throw datasetNotFound(dataset);
      await deleteDataset(deps.sync, callerOf(), dataset);
      return { Dataset: toAwsDataset(identityId, info) };
    }
  }
  if (leaf === "records" && deviceId === undefined && method === "GET") {
    authorize(caller, ["read"], dataset);
    return listRecords(deps.sync, callerOf(), dataset, request.query);
  }
  if (leaf === "subscriptions" && deviceId !== undefined) {
    if (method === "POST") {
      authorize(caller, ["read"], dataset);
      await subscribeToDataset(deps.devices, callerOf(), dataset, deviceId);
      return {};
    }
    if (method === "DELETE") {
      await unsubscribeFromDataset(deps.devices, callerOf(), dataset, deviceId);
      return {};
    }
  }
  throw unknownRoute(request);
}

async function describeIdentityUsage(deps: SyncDeps, caller: Caller): Promise<unknown> {
  const datasets = await listDatasets(deps, caller);
  return {
    IdentityUsage: {
      IdentityId: caller.identityId,
      IdentityPoolId: caller.poolId,
      ...(datasets.length > 0 ? { LastModifiedDate: Math.max(...datasets.map((info) => info.lastModifiedAt)) / 1000 } : {}),
      DatasetCount: datasets.length,
      DataStorage: datasets.reduce((sum, info) => sum + info.sizeBytes, 0),
    },
  };
}

/**
 * RegisterDevice: an APNS/GCM/ADM token becomes a WEBHOOK device at the configured push gateway,
 * which receives our signed notification with `token: "<platform>:<device token>"` and forwards it.
 * The device id is derived from the platform and token, so registering again answers the same id.
 */
async function registerAwsDevice(deps: CognitoSyncDeps, caller: Caller, body: Record<string, unknown>): Promise<unknown> {
  const platform = body["Platform"];
  const token = body["Token"];
  if (typeof platform !== "string" || !["APNS", "APNS_SANDBOX", "GCM", "ADM"].includes(platform) || typeof token !== "string" || token === "") {
    throw new AwsError("InvalidParameterException", 400, "Platform must be APNS, APNS_SANDBOX, GCM or ADM, and Token a device token.");
  }
  if (deps.pushGatewayUrl === null) {
    throw new AwsError("InvalidConfigurationException", 400, "Push sync is not configured on this server (SYNCPOOL_AWS_PUSH_GATEWAY_URL).");
  }
  const deviceId = createHash("sha256").update(`${platform}\n${token}`).digest("hex").slice(0, 32);
  await registerDevice(deps.devices, caller, { platform: "WEBHOOK", deviceId, url: deps.pushGatewayUrl, token: `${platform}:${token}` });
  return { DeviceId: deviceId };
}

/** A dataset as Cognito Sync serializes it. */
export function toAwsDataset(identityId: string, info: DatasetInfo): Record<string, unknown> {
  return {
    IdentityId: identityId,
    DatasetName: info.name,
    CreationDate: info.createdAt / 1000,
    LastModifiedDate: info.lastModifiedAt / 1000,
    ...(info.lastModifiedBy ? { LastModifiedBy: info.lastModifiedBy } : {}),
    DataStorage: info.sizeBytes,
    NumRecords: info.recordCount,
  };
}

function allowed(principal: IdentityPrincipal, actions: PolicyAction[], dataset: string): boolean {
  const { claims, pool } = principal;
  return isAllowed(pool, { identityId: claims.identityId, poolId: claims.poolId, role: claims.role, tags: claims.tags }, actions, dataset);
}

function authorize(principal: IdentityPrincipal, actions: PolicyAction[], dataset: string): void {
  if (!allowed(principal, actions, dataset)) {
    throw new AwsError("NotAuthorizedException", 403, `Role "${principal.claims.role ?? "(none)"}" may not ${actions.join(" and ")} dataset "${dataset}".`);
  }
}

function datasetNotFound(dataset: string): AwsError {
  return new AwsError("ResourceNotFoundException", 404, `Dataset ${dataset} not found.`);
}

/** No operation answers this method and path. */
export function unknownRoute(request: AwsRequest): AwsError {
  return new AwsError("UnknownOperationException", 404, `No Cognito Sync operation is ${request.method} /${request.segments.join("/")}`);
}
