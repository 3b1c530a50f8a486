/**
 * The sync trigger contract: the event a trigger receives (Cognito's SyncTrigger event, version 2)
 * and the answer it must give (the same shape, or a rejection), checked here before anything of
 * it is used. docs/events.md states the contract for trigger authors; change both together.
 */
import { z } from "zod";
import { SyncpoolError } from "../../core/errors.js";
import { assertRecordKey, assertWellFormed } from "../../core/limits.js";
import type { RecordKind } from "../../core/types.js";

/** One record of the push as the trigger sees it. */
export interface TriggerRecord {
  /** The stored value before this push; null when the record is new or deleted. */
  oldValue: string | null;
  /** The value this push would store; null when `op` is `remove`. */
  newValue: string | null;
  op: "replace" | "remove";
  /**
   * Ours: the record's kind. For `JSON` both values are the materialized object as JSON text,
   * and an answer's `newValue` is a new object as JSON text, stored as a put at the trigger's clock.
   */
  kind?: RecordKind;
}

/** What a sync trigger receives. */
export interface SyncTriggerEvent {
  version: 2;
  eventType: "SyncTrigger";
  region: string;
  identityPoolId: string;
  identityId: string;
  datasetName: string;
  /** Ours: the pushing device and its mutation id. */
  deviceId: string;
  mutationId: string;
  /** The records this push changes, by key. */
  datasetRecords: Record<string, TriggerRecord>;
}

/** A record as the trigger decided it: stored with `value`, or deleted when `op` is `remove`. */
export interface TriggerDecision {
  op: "replace" | "remove";
  /** The value to store; null for `remove`. */
  value: string | null;
}

/** A checked trigger answer. */
export type SyncTriggerAnswer =
  | { outcome: "accept"; records: Map<string, TriggerDecision> }
  | { outcome: "reject"; message: string };

/**
 * A sync trigger as the push calls it: resolves with a checked answer, or throws a SyncpoolError
 * `TRIGGER_FAILED` (timeout, malformed answer, the trigger failed). It may run more than once for
 * one push (see `apply-push.ts`), so it must not have side effects that cannot repeat.
 */
export type SyncTrigger = (event: SyncTriggerEvent) => Promise<SyncTriggerAnswer>;

/** Why a trigger failed, in `extensions.reason` of TRIGGER_FAILED. */
export type TriggerFailureReason = "TIMEOUT" | "MALFORMED_ANSWER" | "ERROR" | "UNAVAILABLE";

/** A TRIGGER_FAILED error: nothing was committed, the push may be retried. */
export function triggerFailed(reason: TriggerFailureReason, message: string): SyncpoolError {
  return new SyncpoolError("TRIGGER_FAILED", `the sync trigger failed: ${message}; nothing was committed`, { reason });
}

const MAX_REJECT_MESSAGE = 1000;

const answerSchema = z.looseObject({
  reject: z
    .union([z.string(), z.object({ message: z.string() })])
    .optional(),
  datasetRecords: z
    .record(
      z.string(),
      z.looseObject({
        op: z.enum(["replace", "remove"]),
        newValue: z.string().nullable().optional(),
      }),
    )
    .optional(),
});

/**
 * Checks a trigger's answer. A rejection is `{reject: {message}}` (or `{reject: "message"}`);
 * otherwise `datasetRecords` must be present and each entry must name a legal key, an `op`, and
 * for `replace` a string `newValue`. Fields the answer echoes back (`version`, `identityId`, ...)
 * are ignored.
 * @throws SyncpoolError TRIGGER_FAILED (MALFORMED_ANSWER) naming what is wrong.
 */
export function parseTriggerAnswer(answer: unknown): SyncTriggerAnswer {
  const parsed = answerSchema.safeParse(answer);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw triggerFailed("MALFORMED_ANSWER", `answer${issue.path.map((part) => `.${String(part)}`).join("")}: ${issue.message}`);
  }
  const { reject, datasetRecords } = parsed.data;
  if (reject !== undefined) {
    const message = (typeof reject === "string" ? reject : reject.message).slice(0, MAX_REJECT_MESSAGE);
    return { outcome: "reject", message: message || "rejected by the sync trigger" };
  }
  if (datasetRecords === undefined) throw triggerFailed("MALFORMED_ANSWER", "answer.datasetRecords is missing");
  const records = new Map<string, TriggerDecision>();
  for (const [key, entry] of Object.entries(datasetRecords)) {
    try {
      assertRecordKey(key, `answer.datasetRecords key "${key.slice(0, 64)}"`);
      if (entry.op === "replace") {
        if (typeof entry.newValue !== "string") throw new Error(`answer.datasetRecords["${key}"].newValue must be a string for replace`);
        assertWellFormed(entry.newValue, `answer.datasetRecords["${key}"].newValue`);
      }
    } catch (error) {
      throw triggerFailed("MALFORMED_ANSWER", (error as Error).message);
    }
    records.set(key, { op: entry.op, value: entry.op === "replace" ? (entry.newValue as string) : null });
  }
  return { outcome: "accept", records };
}
