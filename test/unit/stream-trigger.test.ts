/**
 * The pure parts of sync triggers and consumers: checking a trigger's answer, applying it to a
 * push plan, and the retry backoff.
 */
import { describe, expect, it } from "vitest";
import type { SyncRecord } from "../../core/types.js";
import { backoffMs } from "../../server/stream/shard-worker.js";
import { parseTriggerAnswer } from "../../server/stream/trigger-contract.js";
import { planPush } from "../../server/sync/push-plan.js";
import { applyTriggerDecisions, toTriggerEvent } from "../../server/sync/trigger-decisions.js";

const NOW = Date.UTC(2026, 0, 1);
const stored = (key: string, value: string, kind: SyncRecord["kind"] = "STRING"): SyncRecord => ({
  key,
  value,
  kind,
  syncCount: 1,
  clock: `${String(NOW - 1000).padStart(15, "0")}-000000-other`,
  lastModifiedBy: "other",
  lastModifiedAt: NOW - 1000,
  deviceLastModifiedAt: NOW - 1000,
  deleted: false,
});
const patch = (key: string, value: string | null) => ({
  op: value === null ? ("REMOVE" as const) : ("REPLACE" as const),
  key,
  value,
  kind: "STRING" as const,
  clock: null,
  baseSyncCount: 0,
  deviceLastModifiedAt: NOW,
});

describe("parseTriggerAnswer", () => {
  it("accepts the event echoed back with changed records, ignoring other fields", () => {
    const answer = parseTriggerAnswer({ version: 2, identityId: "x", datasetRecords: { a: { op: "replace", newValue: "A", oldValue: null }, b: { op: "remove" } } });
    expect(answer).toEqual({ outcome: "accept", records: new Map([["a", { op: "replace", value: "A" }], ["b", { op: "remove", value: null }]]) });
  });

  it("reads a rejection with its message, in either form", () => {
    expect(parseTriggerAnswer({ reject: { message: "no" } })).toEqual({ outcome: "reject", message: "no" });
    expect(parseTriggerAnswer({ reject: "nope" })).toEqual({ outcome: "reject", message: "nope" });
  });

  it.each([
    [null, "answer"],
    [{}, "datasetRecords is missing"],
    [{ datasetRecords: { a: { op: "upsert", newValue: "x" } } }, "answer.datasetRecords.a.op"],
    [{ datasetRecords: { a: { op: "replace" } } }, "newValue must be a string"],
    [{ datasetRecords: { a: { op: "replace", newValue: 7 } } }, "answer.datasetRecords.a.newValue"],
    [{ datasetRecords: { [""]: { op: "remove" } } }, "key"],
  ])("refuses the malformed answer %j as TRIGGER_FAILED naming the fault", (answer, fault) => {
    expect(() => parseTriggerAnswer(answer)).toThrowError(expect.objectContaining({ code: "TRIGGER_FAILED", details: { reason: "MALFORMED_ANSWER" }, message: expect.stringContaining(fault) }));
  });
});

describe("applyTriggerDecisions", () => {
  const base = new Map([["kept", stored("kept", "old")], ["doc", stored("doc", "AAA=", "YDOC")]]);
  const plan = planPush([patch("kept", "new"), patch("fresh", "v")], base, "CRDT", "phone", NOW);
  const readStored = async (keys: string[]) => new Map(keys.flatMap((key) => (base.has(key) ? [[key, base.get(key)!] as const] : [])));

  it("shows the trigger only the records the push changes, with old and new values", () => {
    const event = toTriggerEvent(plan, { region: "r", poolId: "p", identityId: "i", dataset: "d", deviceId: "phone", mutationId: "m" });
    expect(event.datasetRecords).toEqual({
      kept: { oldValue: "old", newValue: "new", op: "replace", kind: "STRING" },
      fresh: { oldValue: null, newValue: "v", op: "replace", kind: "STRING" },
    });
  });

  it("marks changed and added records as the trigger's and drops keys it left out", async () => {
    const decided = await applyTriggerDecisions(plan, new Map([["kept", { op: "replace", value: "NEW" }], ["added", { op: "replace", value: "+" }]]), readStored, "phone", NOW);
    expect(decided.records.map((record) => [record.key, record.state.value, record.byTrigger])).toEqual([
      ["kept", "NEW", true],
      ["added", "+", true],
    ]);
    expect(decided.records[0]!.state.clock > plan.records[0]!.state.clock).toBe(true);
  });

  it("refuses an answer that rewrites a YDOC value", async () => {
    await expect(applyTriggerDecisions(plan, new Map([["doc", { op: "replace", value: "text" }]]), readStored, "phone", NOW)).rejects.toMatchObject({
      code: "TRIGGER_FAILED",
      details: { reason: "MALFORMED_ANSWER" },
    });
  });
});

describe("backoffMs", () => {
  it("doubles from the base and stops at the cap, less at most a fifth of jitter", () => {
    const policy = { baseMs: 100, maxMs: 1000 };
    for (const [attempts, ceiling] of [[1, 100], [2, 200], [3, 400], [4, 800], [5, 1000], [40, 1000]] as const) {
      const wait = backoffMs(attempts, policy);
      expect(wait).toBeLessThanOrEqual(ceiling);
      expect(wait).toBeGreaterThanOrEqual(ceiling * 0.8);
    }
  });
});
