// JSON record merge laws and convergence as fast-check properties, with a fixed seed so runs are
// reproducible. On failure fast-check prints the seed, the path and the counterexample. Replay with
//   FC_SEED=<seed> npx vitest run test/unit/core-json-merge.test.ts
// (add `path: "<path>"` next to `seed` in the failing fc.assert to jump to the shrunk case).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { HybridClock, formatClock } from "../../core/clock.js";
import { decodeJsonState, encodeJsonState } from "../../core/json-codec.js";
import { materializeJson } from "../../core/json-record.js";
import { EMPTY_JSON_STATE, latestJsonClock, mergeJsonStates, type JsonState } from "../../core/json-state.js";
import { canonicalJson, type JsonObject, type JsonValue } from "../../core/json-value.js";
import { anyStateArb, applyJsonOp, jsonOpArb, opStateArb, rawStateArb, type JsonOp } from "../helpers/json-arbitrary.js";

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20_241_204;

/**
 * Hundreds to thousands of generated cases a test: CPU-bound, a second or two when the machine is
 * idle and ten times that on a busy 2-core one. The bound only fails a run that never ends.
 */
const PROPERTY_TIMEOUT_MS = 60_000;

const join = mergeJsonStates;
const text = encodeJsonState;

describe("mergeJsonStates laws", { timeout: PROPERTY_TIMEOUT_MS }, () => {
  for (const [name, arb, numRuns] of [
    ["states built by operations at arbitrary, reused clocks", opStateArb, 1500],
    ["states decoded from arbitrary trees of writes", rawStateArb, 1500],
    ["a mix of both", anyStateArb, 1000],
  ] as const) {
    it(`is commutative, associative and idempotent for ${name}`, () => {
      fc.assert(
        fc.property(arb, arb, arb, (a, b, c) => {
          expect(text(join(a, b))).toBe(text(join(b, a)));
          expect(text(join(join(a, b), c))).toBe(text(join(a, join(b, c))));
          expect(text(join(a, a))).toBe(text(a));
          expect(text(join(join(a, b), b))).toBe(text(join(a, b)));
          // Equal encodings mean equal values: what an app sees agrees too.
          expect(materializeJson(join(a, b))).toEqual(materializeJson(join(b, a)));
        }),
        { seed, numRuns },
      );
    });
  }

  it("round-trips every state through its text form", () => {
    fc.assert(
      fc.property(anyStateArb, (state) => {
        const decoded = decodeJsonState(text(state));
        expect(text(decoded)).toBe(text(state));
        expect(materializeJson(decoded)).toEqual(materializeJson(state));
      }),
      { seed, numRuns: 1000 },
    );
  });
});

// --- convergence ----------------------------------------------------------------------------

type Step = { kind: "op"; replica: number; op: JsonOp; elapsedMs: number } | { kind: "deliver"; pick: number; keep: boolean };

const scheduleArb = fc.integer({ min: 3, max: 5 }).chain((replicaCount) =>
  fc.record({
    replicaCount: fc.constant(replicaCount),
    steps: fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant("op" as const), replica: fc.nat(replicaCount - 1), op: jsonOpArb, elapsedMs: fc.nat(2) }),
        fc.record({ kind: fc.constant("deliver" as const), pick: fc.nat(), keep: fc.boolean() }),
      ),
      { minLength: 1, maxLength: 60 },
    ) as fc.Arbitrary<Step[]>,
    // The order the messages still in flight at the end arrive in.
    finalPicks: fc.array(fc.nat(), { minLength: 300, maxLength: 300 }),
  }),
);

describe("JSON record convergence", { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it("3-5 replicas that exchange states in any order, with duplicates, end with the same state", () => {
    fc.assert(
      fc.property(scheduleArb, ({ replicaCount, steps, finalPicks }) => {
        // Wall clocks advance by 0-2 ms per step, so clocks often share a millisecond.
        let nowMs = 1_000;
        const replicas = Array.from({ length: replicaCount }, (_, index) => ({
          clock: new HybridClock(`r${index}`, () => nowMs),
          state: EMPTY_JSON_STATE,
        }));
        const inFlight: { to: number; state: JsonState }[] = [];
        const deltas: JsonState[] = [];
        const deliver = (index: number, keep: boolean) => {
          const message = inFlight[index]!;
          if (!keep) inFlight.splice(index, 1);
          const replica = replicas[message.to]!;
          replica.state = join(replica.state, message.state);
          const latest = latestJsonClock(message.state);
          if (latest !== null) replica.clock.receive(latest);
        };
        for (const [index, step] of steps.entries()) {
          if (step.kind === "deliver") {
            if (inFlight.length > 0) deliver(step.pick % inFlight.length, step.keep);
            continue;
          }
          nowMs += step.elapsedMs;
          const replica = replicas[step.replica]!;
          const clock = replica.clock.tick();
          const delta = applyJsonOp(EMPTY_JSON_STATE, step.op, clock);
          replica.state = applyJsonOp(replica.state, step.op, clock);
          deltas.push(delta);
          // Half the time a replica sends its whole state, half the time just the write.
          const message = index % 2 === 0 ? delta : replica.state;
          replicas.forEach((_, to) => to !== step.replica && inFlight.push({ to, state: message }));
        }
        for (const pick of finalPicks) {
          if (inFlight.length === 0) break;
          deliver(pick % inFlight.length, false);
        }
        while (inFlight.length > 0) deliver(0, false);

        const expected = text(deltas.reduce(join, EMPTY_JSON_STATE));
        for (const replica of replicas) expect(text(replica.state)).toBe(expected);
      }),
      { seed, numRuns: 300 },
    );
  });
});

// --- one replica against plain objects --------------------------------------------------------

/** What an app expects of a sequence of writes on one device: plain-object semantics. */
function applyToPlainObject(current: JsonObject | null, op: JsonOp): JsonObject | null {
  if (op.kind === "remove") return null;
  if (op.kind === "put") return structuredClone(op.object);
  const sets = Object.entries(op.partial).filter(([, value]) => value !== undefined);
  if (current === null && sets.length === 0) return null;
  const next: JsonObject = current === null ? {} : structuredClone(current);
  for (const [path, value] of Object.entries(op.partial)) {
    const names = path.split(".");
    const last = names.pop()!;
    let parent: JsonObject | undefined = next;
    for (const name of names) {
      const child: JsonValue | undefined = parent[name];
      const isObject = typeof child === "object" && child !== null && !Array.isArray(child);
      if (value === undefined && !isObject) {
        parent = undefined;
        break;
      }
      if (!isObject) parent[name] = {};
      parent = parent[name] as JsonObject;
    }
    if (parent === undefined) continue;
    if (value === undefined) delete parent[last];
    else parent[last] = structuredClone(value);
  }
  return next;
}

const sorted = (value: JsonObject | null) => (value === null ? null : canonicalJson(value));

describe("JSON record on one device", { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it("writes in sequence give what the same writes give on a plain object", () => {
    fc.assert(
      fc.property(fc.array(jsonOpArb, { minLength: 1, maxLength: 12 }), (ops) => {
        let state = EMPTY_JSON_STATE;
        let expected: JsonObject | null = null;
        ops.forEach((op, index) => {
          state = applyJsonOp(state, op, formatClock({ wallMs: index + 1, counter: 0, deviceId: "d" }));
          expected = applyToPlainObject(expected, op);
          expect(sorted(materializeJson(state))).toBe(sorted(expected));
        });
      }),
      { seed, numRuns: 1500 },
    );
  });
});
