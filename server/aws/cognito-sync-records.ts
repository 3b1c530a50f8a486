/**
 * Cognito Sync's record operations over our sync layer: ListRecords is `pullRecords`, UpdateRecords
 * is `applyPush`. What Cognito clients rely on, kept:
 *
 * - UpdateRecords needs the SyncSessionToken of a ListRecords of the same identity and dataset.
 * - On an OPTIMISTIC dataset a patch whose `SyncCount` is not the record's current one rejects the
 *   whole request with 409 `ResourceConflictException` "Current SyncCount for: K is: X not: Y", and
 *   nothing commits; the client pulls, resolves and pushes again. On a CRDT dataset the patch
 *   merges by the server's clock (the SDKs send no clock), so it never conflicts.
 * - A retried request (same session token, same body) is answered from the first answer without
 *   applying twice: the mutation id is derived from both.
 *
 * - JSON records show as their materialized object's JSON text (no Value when the record shows
 *   nothing). A replace of a key holding a live JSON record is refused (InvalidParameterException,
 *   from the push's KIND_CHANGE rule): a Cognito client writes whole strings, which would erase
 *   the per-field merge. A remove removes the record as a JSON removal does.
 *
 * Timestamps are epoch seconds on the wire, milliseconds inside.
 */
import { createHash } from "node:crypto";
import type { Patch, SyncRecord } from "../../core/types.js";
import { applyPush } from "../sync/apply-push.js";
import { shownRecordValue } from "../../core/shown-value.js";
import { pullRecords, MAX_PAGE_SIZE } from "../sync/pull-records.js";
import type { Caller, SyncDeps } from "../sync/types.js";
import { AwsError } from "./aws-errors.js";
import { optionalString, requireString } from "./aws-request.js";

/** The device id a request without `DeviceId` writes as. */
const ANONYMOUS_DEVICE = "aws-sdk";

/** A record as Cognito Sync serializes it. */
export function toAwsRecord(record: SyncRecord): Record<string, unknown> {
  const value = shownRecordValue(record);
  return {
    Key: record.key,
    ...(value === null ? {} : { Value: value }),
    SyncCount: record.syncCount,
    LastModifiedDate: record.lastModifiedAt / 1000,
    LastModifiedBy: record.lastModifiedBy,
    DeviceLastModifiedDate: record.deviceLastModifiedAt / 1000,
  };
}

/** ListRecords: records changed after `lastSyncCount`, a page at a time, with a session token. */
export async function listRecords(deps: SyncDeps, caller: Caller, dataset: string, query: URLSearchParams): Promise<unknown> {
  const lastSyncCount = intParam(query, "lastSyncCount", 0, Number.MAX_SAFE_INTEGER) ?? 0;
  const maxResults = Math.min(intParam(query, "maxResults", 1, Number.MAX_SAFE_INTEGER) ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
  const page = await pullRecords(deps, caller, { dataset, sinceSyncCount: lastSyncCount, first: maxResults, after: query.get("nextToken") });
  const row = page.datasetExists ? await deps.storage.datasets.getDataset(caller.identityId, dataset) : null;
  return {
    Records: page.records.map(toAwsRecord),
    ...(page.nextCursor === null ? {} : { NextToken: page.nextCursor }),
    Count: page.records.length,
    DatasetSyncCount: page.datasetSyncCount,
    ...(row?.lastModifiedBy ? { LastModifiedBy: row.lastModifiedBy } : {}),
    MergedDatasetNames: page.mergedDatasetNames,
    DatasetExists: page.datasetExists,
    DatasetDeletedAfterRequestedSyncCount: page.deletedAfterSince,
    SyncSessionToken: page.syncSessionToken,
  };
}

/** UpdateRecords: the patches as one push; see the module comment. */
export async function updateRecords(deps: SyncDeps, caller: Caller, dataset: string, body: Record<string, unknown>): Promise<unknown> {
  const syncSessionToken = requireString(body, "SyncSessionToken", 4096);
  const deviceId = optionalString(body, "DeviceId", 256) ?? ANONYMOUS_DEVICE;
  const patches = patchesOf(body["RecordPatches"]);
  const mutationId = `aws-${createHash("sha256").update(syncSessionToken).update("\n").update(JSON.stringify(body)).digest("base64url").slice(0, 40)}`;
  const result = await applyPush(deps, caller, { dataset, deviceId, mutationId, syncSessionToken, patches });
  const conflict = result.conflicts[0];
  if (conflict) {
    throw new AwsError("ResourceConflictException", 409, `Current SyncCount for: ${conflict.key} is: ${conflict.serverRecord?.syncCount ?? 0} not: ${conflict.patchSyncCount ?? 0}`);
  }
  const keys = new Set(patches.map((patch) => patch.key));
  return { Records: result.records.filter((record) => keys.has(record.key) || record.syncCount === result.datasetSyncCount).map(toAwsRecord) };
}

function patchesOf(value: unknown): Patch[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new AwsError("InvalidParameterException", 400, "RecordPatches must be a list.");
  return value.map((item: unknown, index): Patch => {
    const patch = (item ?? {}) as Record<string, unknown>;
    const op = patch["Op"];
    if (op !== "replace" && op !== "remove") throw new AwsError("InvalidParameterException", 400, `RecordPatches[${index}].Op must be replace or remove.`);
    if (typeof patch["Key"] !== "string") throw new AwsError("InvalidParameterException", 400, `RecordPatches[${index}].Key is required.`);
    const syncCount = patch["SyncCount"];
    if (typeof syncCount !== "number") throw new AwsError("InvalidParameterException", 400, `RecordPatches[${index}].SyncCount is required.`);
    const deviceDate = patch["DeviceLastModifiedDate"];
    return {
      op: op === "replace" ? "REPLACE" : "REMOVE",
      key: patch["Key"],
      value: op === "replace" ? (typeof patch["Value"] === "string" ? patch["Value"] : "") : null,
      syncCount,
      ...(typeof deviceDate === "number" ? { deviceLastModifiedAt: Math.round(deviceDate * 1000) } : {}),
    };
  });
}

function intParam(query: URLSearchParams, name: string, min: number, max: number): number | null {
  const text = query.get(name);
  if (text === null || text === "") return null;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new AwsError("InvalidParameterException", 400, `${name} must be an integer of at least ${min}.`);
  return value;
}
