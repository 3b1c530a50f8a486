// Properties run with a fixed seed, printed below; on failure fast-check prints the seed and the
// counterexample path. Replay with: FC_SEED=<seed> npx vitest run test/unit/query-live-result.test.ts
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatClock } from "../../core/clock.js";
import { encodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut } from "../../core/json-record.js";
import { EMPTY_JSON_STATE } from "../../core/json-state.js";
import { compileQuery, type Query } from "../../core/query/index.js";
import type { SyncRecord } from "../../core/types.js";
import { LiveQueryResult } from "../../client/query/live-result.js";
import { queryRecords } from "../../client/query/query-records.js";

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20_261_205;
console.log(`query-live-result property seed: ${seed}`);

const clock = formatClock({ wallMs: 1_700_000_000_000, counter: 0, deviceId: "a" });
const json = (key: string, object: object): SyncRecord =>
  ({ key, kind: "JSON", value: encodeJsonState(applyJsonPut(EMPTY_JSON_STATE, object, clock)), deleted: false }) as SyncRecord;
const plain = (rows: readonly { key: string; value: unknown }[]) => rows.map((row) => ({ key: row.key, value: row.value }));

const query: Query = { where: { field: "rank", lt: 6 }, orderBy: [{ field: "rank", direction: "desc" }], limit: 3 };

describe("a watched query's kept result", () => {
  it("equals a fresh run of the query after every change of the records", () => {
    const version = fc.record({ rank: fc.integer({ min: 0, max: 9 }), kind: fc.constantFrom("JSON", "JSON", "STRING", "GONE") });
    const snapshot = fc.dictionary(fc.constantFrom("a", "b", "c", "d", "e", "f", "g"), version);
    const shape = fc.record({ limit: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }), desc: fc.boolean() });
    fc.assert(
      fc.property(shape, fc.array(snapshot, { minLength: 1, maxLength: 8 }), ({ limit, desc }, snapshots) => {
        const compiled = compileQuery({ where: { field: "rank", lt: 7 }, orderBy: [{ field: "rank", direction: desc ? "desc" : "asc" }], limit });
        const live = new LiveQueryResult(compiled);
        for (const records of snapshots) {
          const stored = Object.entries(records)
            .filter(([, { kind }]) => kind !== "GONE")
            .map(([key, { rank, kind }]) => (kind === "JSON" ? json(key, { rank }) : ({ key, kind: "STRING", value: String(rank), deleted: false } as SyncRecord)));
          expect(plain(live.update(stored))).toEqual(queryRecords(stored, compiled));
        }
      }),
      { seed, numRuns: 200 },
    );
  });

  it("returns the same array for a change outside the window and a new one when a member leaves", () => {
    const live = new LiveQueryResult(compileQuery(query));
    const records = [json("a", { rank: 5 }), json("b", { rank: 4 }), json("c", { rank: 3 }), json("d", { rank: 2 }), json("e", { rank: 9 })];
    const first = live.update(records);
    expect(first.map((row) => row.key)).toEqual(["a", "b", "c"]);

    const outside = live.update([...records.slice(0, 3), json("d", { rank: 1 }), json("e", { rank: 8 })]);
    expect(outside).toBe(first);

    const refilled = live.update([json("a", { rank: 7 }), ...records.slice(1)]);
    expect(refilled.map((row) => row.key)).toEqual(["b", "c", "d"]);
    expect(refilled[0]).toBe(first[1]);
  });

  it("emits frozen rows, so a subscriber cannot change the kept result", () => {
    const [row] = new LiveQueryResult(compileQuery(query)).update([json("a", { rank: 1, tags: ["x"] })]);
    expect(Object.isFrozen(row!.value) && Object.isFrozen(row!.value.tags)).toBe(true);
  });
});
