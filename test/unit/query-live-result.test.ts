// Properties run with a fixed seed, printed below; on failure fast-check prints the seed and the
// counterexample path. Replay with: FC_SEED=<seed> npx vitest run test/unit/query-live-result.test.ts
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatClock } from "../../core/clock.js";
import { encodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut } from "../../core/json-record.js";
import { EMPTY_JSON_STATE } from "../../core/json-state.js";
import { compileQuery, runQuery, type CompiledQuery, type Query } from "../../core/query/index.js";
import type { SyncRecord } from "../../core/types.js";
import { LiveQueryResult } from "../../client/query/live-result.js";
import { cacheRecord, type CachedRow } from "../../client/store/record-cache.js";

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20_261_205;
console.log(`query-live-result property seed: ${seed}`);

const clock = formatClock({ wallMs: 1_700_000_000_000, counter: 0, deviceId: "a" });
const json = (key: string, object: object): SyncRecord =>
  ({ key, kind: "JSON", value: encodeJsonState(applyJsonPut(EMPTY_JSON_STATE, object, clock)), deleted: false }) as SyncRecord;
const plain = (rows: readonly { key: string; value: unknown }[]) => rows.map((row) => ({ key: row.key, value: row.value }));

/**
 * Feeds `live` the records the way the record cache does: the cache keeps rows across calls (an
 * unchanged record keeps its row) and passes the keys that may have changed.
 */
function feeder(live: LiveQueryResult) {
  const rows = new Map<string, CachedRow>();
  return (records: readonly SyncRecord[], changedOnly = true) => {
    const keys = new Set([...rows.keys(), ...records.map((record) => record.key)]);
    const before = new Map(rows);
    for (const key of keys) cacheRecord(rows, key, records.find((record) => record.key === key));
    return live.update(rows, changedOnly ? [...keys].filter((key) => rows.get(key) !== before.get(key)) : null);
  };
}

/** A fresh run of the query over `records`. */
function fresh(records: readonly SyncRecord[], compiled: CompiledQuery) {
  const rows = new Map<string, CachedRow>();
  for (const record of records) cacheRecord(rows, record.key, record);
  return plain(runQuery(Array.from(rows.values(), (cached) => cached.row), compiled));
}

const query: Query = { where: { field: "rank", lt: 6 }, orderBy: [{ field: "rank", direction: "desc" }], limit: 3 };

describe("a watched query's kept result", () => {
  it("equals a fresh run of the query after every change of the records", () => {
    const version = fc.record({ rank: fc.integer({ min: 0, max: 9 }), kind: fc.constantFrom("JSON", "JSON", "STRING", "GONE") });
    const snapshot = fc.dictionary(fc.constantFrom("a", "b", "c", "d", "e", "f", "g"), version);
    const shape = fc.record({ limit: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }), desc: fc.boolean() });
    fc.assert(
      fc.property(shape, fc.array(snapshot, { minLength: 1, maxLength: 8 }), ({ limit, desc }, snapshots) => {
        const compiled = compileQuery({ where: { field: "rank", lt: 7 }, orderBy: [{ field: "rank", direction: desc ? "desc" : "asc" }], limit });
        const update = feeder(new LiveQueryResult(compiled));
        let round = 0;
        for (const records of snapshots) {
          const stored = Object.entries(records)
            .filter(([, { kind }]) => kind !== "GONE")
            .map(([key, { rank, kind }]) => (kind === "JSON" ? json(key, { rank }) : ({ key, kind: "STRING", value: String(rank), deleted: false } as SyncRecord)));
          // Changed keys and whole reloads (null) alternate: both must give the fresh result.
          expect(plain(update(stored, round++ % 2 === 0))).toEqual(fresh(stored, compiled));
        }
      }),
      { seed, numRuns: 200 },
    );
  });

  it("returns the same array for a change outside the window and a new one when a member leaves", () => {
    const update = feeder(new LiveQueryResult(compileQuery(query)));
    const records = [json("a", { rank: 5 }), json("b", { rank: 4 }), json("c", { rank: 3 }), json("d", { rank: 2 }), json("e", { rank: 9 })];
    const first = update(records);
    expect(first.map((row) => row.key)).toEqual(["a", "b", "c"]);

    const outside = update([...records.slice(0, 3), json("d", { rank: 1 }), json("e", { rank: 8 })]);
    expect(outside).toBe(first);

    const refilled = update([json("a", { rank: 7 }), ...records.slice(1)]);
    expect(refilled.map((row) => row.key)).toEqual(["b", "c", "d"]);
    expect(refilled[0]).toBe(first[1]);
  });

  it("emits frozen rows, so a subscriber cannot change the kept result", () => {
    const [row] = feeder(new LiveQueryResult(compileQuery(query)))([json("a", { rank: 1, tags: ["x"] })]);
    expect(Object.isFrozen(row!.value) && Object.isFrozen(row!.value.tags)).toBe(true);
  });
});
