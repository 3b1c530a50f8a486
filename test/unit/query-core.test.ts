// Properties run with a fixed seed, printed below; on failure fast-check prints the seed and the
// counterexample path. Replay with: FC_SEED=<seed> npx vitest run test/unit/query-core.test.ts
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileQuery, compareJson, runQuery, type Query, type QueryRow } from "../../core/query/index.js";
import type { JsonObject, JsonValue } from "../../core/json-value.js";
import { SyncpoolError } from "../../core/errors.js";

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20_261_204;
console.log(`query-core property seed: ${seed}`);

const rows: QueryRow<JsonObject>[] = [
  { key: "a", value: { name: "Ada", age: 36, tags: ["math"], address: { city: "London" } } },
  { key: "b", value: { name: "Alan", age: 41, address: { city: "Wilmslow" } } },
  { key: "c", value: { name: "Grace", age: "unknown", retired: null } },
  { key: "d", value: { name: "Edsger", age: 72 } },
];

const keys = (query: Query) => runQuery(rows, compileQuery(query)).map((row) => row.key);

describe("queries over JSON values", () => {
  it("matches equals, in, range, prefix and exists on dotted paths", () => {
    expect(keys({ where: { field: "address.city", eq: "London" } })).toEqual(["a"]);
    expect(keys({ where: { field: "name", in: ["Grace", "Alan"] } })).toEqual(["b", "c"]);
    expect(keys({ where: { field: "age", gte: 40, lt: 72 } })).toEqual(["b"]);
    expect(keys({ where: { field: "name", prefix: "A" } })).toEqual(["a", "b"]);
    expect(keys({ where: { field: "retired", exists: true } })).toEqual(["c"]);
    expect(keys({ where: { field: "address", exists: false } })).toEqual(["c", "d"]);
    expect(keys({ where: { field: "tags", eq: ["math"] } })).toEqual(["a"]);
  });

  it("a number range never matches a string field, and the reverse", () => {
    expect(keys({ where: { field: "age", gt: 0 } })).toEqual(["a", "b", "d"]);
    expect(keys({ where: { field: "age", gt: "" } })).toEqual(["c"]);
  });

  it("combines filters with and/or", () => {
    expect(keys({ where: { or: [{ field: "age", gt: 70 }, { and: [{ field: "name", prefix: "A" }, { field: "age", lt: 40 }] }] } })).toEqual(["a", "d"]);
  });

  it("orders by several keys, both directions, ties by record key, then cuts at the limit", () => {
    expect(keys({ orderBy: [{ field: "age", direction: "desc" }] })).toEqual(["c", "d", "b", "a"]);
    expect(keys({ orderBy: [{ field: "address.city" }, { field: "name", direction: "desc" }] })).toEqual(["c", "d", "a", "b"]);
    expect(keys({ orderBy: [{ field: "missing" }], limit: 2 })).toEqual(["a", "b"]);
  });

  it("orders across types: absent, null, booleans, numbers, strings, arrays, objects", () => {
    const ordered: Array<JsonValue | undefined> = [undefined, null, false, true, -1, 2, "", "a", [], [1], {}, { a: 1 }, { a: 1, b: 0 }, { b: 0 }];
    // Sorted through indexes: Array.prototype.sort always moves undefined to the end itself.
    const indexes = ordered.map((_, index) => ordered.length - 1 - index);
    expect(indexes.sort((a, b) => compareJson(ordered[a], ordered[b]))).toEqual(ordered.map((_, index) => index));
  });

  it.each([
    [{ where: { field: "a..b", eq: 1 } }, "where.field"],
    [{ where: { field: "a" } }, "where"],
    [{ where: { field: "a", near: 1 } }, "where.near"],
    [{ where: { field: "a", gt: true } }, "where.gt"],
    [{ where: { and: {} } }, "where.and"],
    [{ orderBy: [{ field: "a", direction: "up" }] }, "orderBy[0].direction"],
    [{ limit: -1 }, "limit"],
    [{ select: ["a"] }, "select"],
  ])("refuses a malformed query %j with BAD_USER_INPUT naming %s", (query, path) => {
    try {
      compileQuery(query as Query);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SyncpoolError);
      expect((error as SyncpoolError).code).toBe("BAD_USER_INPUT");
      expect((error as SyncpoolError).details).toMatchObject({ reason: "bad-query", path });
    }
  });

  it("gives the same result as a naive filter and sort of the same records", () => {
    const valueArb = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.constantFrom("", "a", "ab", "b"));
    const recordArb = fc.record({ x: valueArb, y: valueArb }, { requiredKeys: [] });
    const rowsArb = fc.uniqueArray(fc.record({ key: fc.string({ maxLength: 3 }), value: recordArb }), { selector: (row) => row.key, maxLength: 30 });
    fc.assert(
      fc.property(rowsArb, fc.integer({ min: -3, max: 3 }), fc.constantFrom<"asc" | "desc">("asc", "desc"), fc.nat({ max: 10 }), (data, bound, direction, limit) => {
        const result = runQuery(data, compileQuery({ where: { field: "x", gte: bound }, orderBy: [{ field: "y", direction }], limit }));
        const naive = data
          .filter((row) => typeof row.value.x === "number" && row.value.x >= bound)
          .sort((a, b) => (direction === "asc" ? 1 : -1) * compareJson(a.value.y, b.value.y) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
          .slice(0, limit);
        expect(result).toEqual(naive);
      }),
      { seed, numRuns: 300 },
    );
  });
});
