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
    datasetRecords[planned.key] = {
      oldValue: planned.before && !planned.before.deleted ? planned.before.value : null,
      newValue: planned.state.deleted ? null : planned.state.value,
      op: planned.state.deleted ? "remove" : "replace",
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
  return decision.op === "remove" ? state.deleted : !state.deleted && state.value === decision.value;
}

function laterClock(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return a ?? b;
  return compareClocks(a, b) >= 0 ? a : b;
}
