/**
 * A push plan shown to a sync trigger, and the trigger's answer applied back to it. The trigger
 * sees the records the push would change (`newValue` as merged, `oldValue` as stored) and answers
 * with the records as they should be stored:
 * - an entry whose value or op differs from the plan replaces it (the trigger changed it);
 * - an entry for a key the push did not change adds (or deletes) that record;
 * - a key of the push left out of the answer is not written at all (the trigger dropped it).
 * Records the trigger decided get a clock after every clock the plan saw, so they win the merge
 * on every replica, and are marked `byTrigger` (origin `trigger` in the stream).
 */
import { compareClocks } from "../../core/clock.js";
import type { RecordState } from "../../core/merge.js";
import type { SyncRecord } from "../../core/types.js";
import type { SyncTriggerEvent, TriggerDecision, TriggerRecord } from "../stream/trigger-contract.js";
import { triggerFailed } from "../stream/trigger-contract.js";
import type { JsonState } from "../../core/json-state.js";
import { canonicalJson, isPlainObject, normalizeJsonValue, type JsonValue } from "../../core/json-value.js";
import { shownRecordValue } from "../../core/shown-value.js";
import { jsonPutState, jsonRemovalState, mergeJsonRecord } from "./json-patch.js";
import { isChange, stampAfter, toState, type PlannedRecord, type PushPlan } from "./push-plan.js";

/** Who the event is about, besides the plan. */
export interface TriggerEventContext {
  region: string;
  poolId: string;
  identityId: string;
  dataset: string;
  deviceId: string;
  mutationId: string;
}

/** The Cognito-shaped event for `plan`: every record the push would change. */
export function toTriggerEvent(plan: PushPlan, context: TriggerEventContext): SyncTriggerEvent {
  const datasetRecords: Record<string, TriggerRecord> = {};
  for (const planned of plan.records) {
    if (!isChange(planned, plan.ydoc)) continue;
    const newValue = shownRecordValue(planned.state);
    datasetRecords[planned.key] = {
      oldValue: planned.before ? shownRecordValue(planned.before) : null,
      newValue,
      op: newValue === null ? "remove" : "replace",
      kind: planned.state.kind,
    };
  }
  return {
    version: 2,
    eventType: "SyncTrigger",
    region: context.region,
    identityPoolId: context.poolId,
    identityId: context.identityId,
    datasetName: context.dataset,
    deviceId: context.deviceId,
    mutationId: context.mutationId,
    datasetRecords,
  };
}

/**
 * The plan after the trigger's `decisions`. `readStored` fetches the stored records of keys the
 * trigger added (they were not part of the push).
 * @throws SyncpoolError TRIGGER_FAILED (MALFORMED_ANSWER) when the answer changes a YDOC value:
 *   those are Yjs updates the trigger cannot rewrite as text.
 */
export async function applyTriggerDecisions(
  plan: PushPlan,
  decisions: ReadonlyMap<string, TriggerDecision>,
  readStored: (keys: string[]) => Promise<Map<string, SyncRecord>>,
  deviceId: string,
  now: number,
): Promise<PushPlan> {
  const records: PlannedRecord[] = [];
  const planned = new Set<string>();
  for (const record of plan.records) {
    planned.add(record.key);
    const decision = decisions.get(record.key);
    if (!isChange(record, plan.ydoc)) {
      records.push(decision ? (decide(record.before, record.key, decision, deviceId, now) ?? record) : record);
    } else if (!decision) {
      // Dropped: the stored record stays as it is (a key never stored is left out).
      if (record.before) records.push({ ...record, state: toState(record.before), byTrigger: false });
    } else if (sameAs(record.state, decision)) {
      records.push(record);
    } else {
      const decided = decide(record.before, record.key, decision, deviceId, now, record.state);
      if (decided) records.push(decided);
      else if (record.before) records.push({ ...record, state: toState(record.before) });
    }
  }
  const added = [...decisions.keys()].filter((key) => !planned.has(key));
  if (added.length > 0) {
    const stored = await readStored(added);
    for (const key of added) {
      const decided = decide(stored.get(key) ?? null, key, decisions.get(key)!, deviceId, now);
      if (decided) records.push(decided);
    }
  }
  return { ...plan, records };
}

/**
 * The record as the trigger decided it; as proposed (or stored) when the decision changes nothing;
 * null when it removes a key that has no record at all.
 */
function decide(
  before: SyncRecord | null,
  key: string,
  decision: TriggerDecision,
  deviceId: string,
  now: number,
  proposed?: RecordState,
): PlannedRecord | null {
  const base = proposed ?? (before ? toState(before) : null);
  if (base && sameAs(base, decision)) return { key, before, state: base, byTrigger: false };
  if (!base && decision.op === "remove") return null;
  const kind = base?.kind ?? "STRING";
  if (kind === "YDOC" && decision.op === "replace") {
    throw triggerFailed("MALFORMED_ANSWER", `answer.datasetRecords["${key}"] changes a YDOC record's value`);
  }
  const clock = stampAfter(laterClock(base?.clock ?? null, before?.clock ?? null), deviceId, now);
  if (kind === "JSON" && base) {
    // A put (or removal) at a clock after every write the plan saw: it replaces the whole object.
    const state = decision.op === "remove" ? jsonRemovalState(clock) : answerPut(key, decision.value, clock);
    return { key, before, state: mergeJsonRecord(asRecord(base), key, state, deviceId, now), byTrigger: true };
  }
  return {
    key,
    before,
    state: {
      key,
      value: decision.value,
      kind,
      clock,
      lastModifiedBy: deviceId,
      deviceLastModifiedAt: now,
      deleted: decision.op === "remove",
    },
    byTrigger: true,
  };
}

function sameAs(state: RecordState, decision: TriggerDecision): boolean {
  const shown = shownRecordValue(state);
  if (decision.op === "remove") return shown === null;
  if (shown === null || state.kind !== "JSON") return shown === decision.value;
  // JSON: the same object, whatever the answer's key order or spacing.
  try {
    return canonicalJson(JSON.parse(shown) as JsonValue) === canonicalJson(normalizeJsonValue(JSON.parse(decision.value!)));
  } catch {
    return false;
  }
}

// The trigger's new object as a put; anything but a JSON object within the record limits is a malformed answer.
function answerPut(key: string, value: string | null, clock: string): JsonState {
  const where = `answer.datasetRecords["${key}"].newValue`;
  let object: unknown;
  try {
    object = JSON.parse(value ?? "");
  } catch {
    object = undefined;
  }
  if (!isPlainObject(object)) throw triggerFailed("MALFORMED_ANSWER", `${where} must be a JSON object as text for a JSON record`);
  try {
    return jsonPutState(object, clock);
  } catch (error) {
    throw triggerFailed("MALFORMED_ANSWER", `${where}: ${(error as Error).message}`);
  }
}

// mergeJsonRecord reads a stored record; a planned state has everything it looks at.
function asRecord(state: RecordState): SyncRecord {
  return { ...state, syncCount: 0, lastModifiedAt: 0 };
}

function laterClock(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return a ?? b;
  return compareClocks(a, b) >= 0 ? a : b;
}
