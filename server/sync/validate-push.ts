/**
 * Boundary checks for a push, done before any lock is taken: names, lengths, patch shapes, clock
 * syntax and skew, then JSON states and YDOC payloads (budget and Yjs validation, through the worker pool). A push
 * that fails here changes nothing.
 */
import { SyncpoolError } from "../../core/errors.js";
import { parseClock } from "../../core/clock.js";
import {
  assertDatasetName,
  assertDeviceId,
  assertMutationId,
  assertPatchCount,
  assertRecordKey,
  assertWellFormed,
  checkClockSkew,
} from "../../core/limits.js";
import type { Limits, Patch, RecordKind } from "../../core/types.js";
import type { JsonState } from "../../core/json-state.js";
import { latestJsonClock } from "../../core/json-state.js";
import { decodePushedJsonState } from "./json-patch.js";
import type { YdocWork } from "../ydoc/ydoc-work.js";
import type { PushRecordsInput } from "./types.js";

/** A patch that passed the checks, with defaults filled in. */
export interface CheckedPatch {
  op: Patch["op"];
  key: string;
  value: string | null;
  kind: RecordKind;
  /** Null when the device sent none: the server stamps it under the dataset lock. */
  clock: string | null;
  baseSyncCount: number;
  deviceLastModifiedAt: number;
  /** A JSON REPLACE's decoded state (its `value` is the same state as text); null otherwise. */
  jsonState?: JsonState | null;
}

/** Validates a push and returns its patches normalised; throws SyncpoolError on the first fault. */
export function validatePush(input: PushRecordsInput, limits: Limits, nowMs: number): CheckedPatch[] {
  assertDatasetName(input.dataset, "dataset");
  assertDeviceId(input.deviceId, "deviceId");
  assertMutationId(input.mutationId, "mutationId");
  assertPatchCount(input.patches.length);
  const seen = new Map<string, number>();
  return input.patches.map((patch, index) => {
    const field = `patches[${index}]`;
    assertRecordKey(patch.key, `${field}.key`);
    const earlier = seen.get(patch.key);
    if (earlier !== undefined) {
      throw new SyncpoolError("BAD_USER_INPUT", `${field}.key repeats patches[${earlier}].key; send one patch per key`, {
        field: `${field}.key`,
      });
    }
    seen.set(patch.key, index);
    const kind = patch.kind ?? "STRING";
    const value = patch.op === "REMOVE" ? null : (patch.value ?? null);
    if (patch.op === "REPLACE" && value === null) {
      throw new SyncpoolError("BAD_USER_INPUT", `${field}.value is required for REPLACE`, { field: `${field}.value` });
    }
    if (value !== null && kind === "STRING") assertWellFormed(value, `${field}.value`);
    const jsonState = value !== null && kind === "JSON" ? decodePushedJsonState(value, `${field}.value`) : null;
    // A JSON state carries its own clocks: the latest stands for the patch (skew checked on it).
    const clock = jsonState ? latestJsonClock(jsonState) : (patch.clock ?? null);
    if (clock !== null) {
      const clockField = jsonState ? `${field}.value` : `${field}.clock`;
      parseClock(clock, clockField);
      checkClockSkew(clock, nowMs, limits, clockField);
    }
    const baseSyncCount = patch.syncCount ?? 0;
    if (!Number.isSafeInteger(baseSyncCount) || baseSyncCount < 0) {
      throw new SyncpoolError("BAD_USER_INPUT", `${field}.syncCount must be a non-negative integer`, {
        field: `${field}.syncCount`,
      });
    }
    const deviceLastModifiedAt = patch.deviceLastModifiedAt ?? nowMs;
    if (!Number.isSafeInteger(deviceLastModifiedAt) || deviceLastModifiedAt < 0) {
      throw new SyncpoolError("BAD_USER_INPUT", `${field}.deviceLastModifiedAt must be epoch milliseconds`, {
        field: `${field}.deviceLastModifiedAt`,
      });
    }
    return { op: patch.op, key: patch.key, value, kind, clock, baseSyncCount, deviceLastModifiedAt, jsonState };
  });
}

/**
 * Validates the YDOC values of checked patches (in patch order): each within the structural budget
 * and a Yjs update that integrates within the time limit.
 * @throws SyncpoolError BAD_USER_INPUT (with `reason: "YDOC_TOO_COMPLEX"` for the budget and time limit).
 */
export async function validateYdocPatches(patches: readonly CheckedPatch[], ydoc: YdocWork): Promise<void> {
  for (const [index, patch] of patches.entries()) {
    if (patch.value !== null && patch.kind === "YDOC") await ydoc.validate(patch.value, `patches[${index}].value`);
  }
}
