/**
 * fast-check generators for JSON record properties: operations (put, update with dotted paths
 * and unsets, remove) over a few field names so writes collide, clocks from a small set so equal
 * clocks with different writes come up (a device reusing a clock), and raw states written in the
 * text form, which reach combinations no honest sequence of operations makes.
 */
import fc from "fast-check";
import { formatClock } from "../../core/clock.js";
import { decodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut, applyJsonRemove, applyJsonUpdate } from "../../core/json-record.js";
import { EMPTY_JSON_STATE, type JsonState } from "../../core/json-state.js";
import type { JsonObject, JsonValue } from "../../core/json-value.js";

const NAMES = ["a", "b", "c"] as const;
const PATHS = ["a", "b", "c", "a.a", "a.b", "b.a", "a.b.c", "c.a.b"] as const;

const scalarArb: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -2, max: 2 }),
  fc.constantFrom("", "x", "y"),
);
const arrayArb: fc.Arbitrary<JsonValue> = fc.array(
  fc.oneof(scalarArb, fc.dictionary(fc.constantFrom(...NAMES), scalarArb, { maxKeys: 2 })),
  { maxLength: 3 },
);

/** Objects up to three levels deep over the field names a, b, c; arrays hold scalars and small objects. */
export const jsonObjectArb: fc.Arbitrary<JsonObject> = fc.letrec<{ object: JsonObject; value: JsonValue }>((tie) => ({
  object: fc.dictionary(fc.constantFrom(...NAMES), tie("value"), { maxKeys: 3, depthIdentifier: "object" }),
  value: fc.oneof({ depthSize: "small", depthIdentifier: "object" }, scalarArb, arrayArb, tie("object")),
})).object;

/** An operation on one record, without its clock. */
export type JsonOp =
  | { kind: "put"; object: JsonObject }
  | { kind: "update"; partial: Record<string, JsonValue | undefined> }
  | { kind: "remove" };

// Drops paths that overlap an earlier one (`a` and `a.b`), which one update may not carry.
function withoutOverlaps(entries: [string, JsonValue | undefined][]): Record<string, JsonValue | undefined> {
  const partial: Record<string, JsonValue | undefined> = {};
  for (const [path, value] of entries) {
    const overlaps = Object.keys(partial).some((other) => other === path || other.startsWith(`${path}.`) || path.startsWith(`${other}.`));
    if (!overlaps) partial[path] = value;
  }
  return partial;
}

/** Random operations: updates most often, as apps make them. */
export const jsonOpArb: fc.Arbitrary<JsonOp> = fc.oneof(
  { weight: 2, arbitrary: jsonObjectArb.map((object) => ({ kind: "put" as const, object })) },
  {
    weight: 5,
    arbitrary: fc
      .array(fc.tuple(fc.constantFrom(...PATHS), fc.option(fc.oneof(scalarArb, arrayArb, jsonObjectArb), { nil: undefined, freq: 3 })), {
        minLength: 1,
        maxLength: 3,
      })
      .map((entries) => ({ kind: "update" as const, partial: withoutOverlaps(entries) })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "remove" as const }) },
);

/** Applies one operation at `clock`. */
export function applyJsonOp(state: JsonState, op: JsonOp, clock: string): JsonState {
  if (op.kind === "put") return applyJsonPut(state, op.object, clock);
  if (op.kind === "update") return applyJsonUpdate(state, op.partial, clock);
  return applyJsonRemove(state, clock);
}

/** Clocks from a small set: wall times 1-4 on devices d and e, so ties and reuse are common. */
export const smallClockArb: fc.Arbitrary<string> = fc
  .record({ wallMs: fc.integer({ min: 1, max: 4 }), deviceId: fc.constantFrom("d", "e") })
  .map(({ wallMs, deviceId }) => formatClock({ wallMs, counter: 0, deviceId }));

/** States from up to six operations at clocks in any order, reused clocks included. */
export const opStateArb: fc.Arbitrary<JsonState> = fc
  .array(fc.tuple(jsonOpArb, smallClockArb), { maxLength: 6 })
  .map((steps) => steps.reduce((state, [op, clock]) => applyJsonOp(state, op, clock), EMPTY_JSON_STATE));

// A raw write in the text form: any kind at any small clock, exists marks with or without a floor.
const rawWriteArb = (root: boolean): fc.Arbitrary<unknown[] | undefined> =>
  fc.oneof(
    fc.constant(undefined),
    fc.tuple(smallClockArb, fc.constantFrom("o", "u", "e")).map(([clock, tag]) => [clock, tag]),
    fc.tuple(smallClockArb, smallClockArb).filter(([clock, floor]) => floor < clock).map(([clock, floor]) => [clock, "e", floor]),
    ...(root ? [] : [fc.tuple(smallClockArb, fc.oneof(scalarArb, arrayArb)).map(([clock, value]) => [clock, "v", value])]),
  );

function rawNodeArb(depth: number): fc.Arbitrary<Record<string, unknown>> {
  const fieldsArb =
    depth >= 3 ? fc.constant({}) : fc.dictionary(fc.constantFrom(...NAMES), rawNodeArb(depth + 1), { maxKeys: depth === 0 ? 3 : 2 });
  return fc.tuple(rawWriteArb(depth === 0), fieldsArb).map(([w, c]) => ({
    ...(Object.keys(c).length > 0 ? { c } : {}),
    ...(w === undefined ? {} : { w }),
  }));
}

// The text form writes a clock equal to the parent write's clock as 0.
function shortenClocks(node: Record<string, unknown>, parentClock: unknown): Record<string, unknown> {
  const write = node.w as unknown[] | undefined;
  const fields = node.c as Record<string, Record<string, unknown>> | undefined;
  const shortened: Record<string, unknown> = {};
  if (fields !== undefined) {
    shortened.c = Object.fromEntries(Object.entries(fields).map(([name, child]) => [name, shortenClocks(child, write?.[0])]));
  }
  if (write !== undefined) shortened.w = write[0] === parentClock ? [0, ...write.slice(1)] : write;
  return shortened;
}

/** States decoded from arbitrary trees of writes, as a hostile device could send them. */
export const rawStateArb: fc.Arbitrary<JsonState> = rawNodeArb(0).map((r) =>
  decodeJsonState(JSON.stringify({ r: shortenClocks(r, undefined), v: 1 })),
);

/** Either kind of state. */
export const anyStateArb: fc.Arbitrary<JsonState> = fc.oneof(opStateArb, rawStateArb);
