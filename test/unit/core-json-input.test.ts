// What a JSON record accepts and how its state is written down: refused inputs carry
// BAD_USER_INPUT with a reason and a path and change nothing; the text form is deterministic.
import { describe, expect, it } from "vitest";
import { formatClock } from "../../core/clock.js";
import { SyncpoolError } from "../../core/errors.js";
import { decodeJsonState, encodeJsonState, jsonStateSizeBytes } from "../../core/json-codec.js";
import { applyJsonPut, applyJsonRemove, applyJsonUpdate, materializeJson } from "../../core/json-record.js";
import { EMPTY_JSON_STATE, type JsonState } from "../../core/json-state.js";
import { JSON_RECORD_LIMITS } from "../../core/json-value.js";
import { utf8Length } from "../../core/limits.js";

const at = (wallMs: number, deviceId = "phone") => formatClock({ wallMs, counter: 0, deviceId });
const base = applyJsonPut(EMPTY_JSON_STATE, { title: "t", tags: ["a"] }, at(1));

function refusal(run: () => unknown): SyncpoolError {
  const before = encodeJsonState(base);
  try {
    run();
  } catch (error) {
    expect(encodeJsonState(base)).toBe(before);
    expect(error).toBeInstanceOf(SyncpoolError);
    return error as SyncpoolError;
  }
  throw new Error("expected the input to be refused");
}
const refusedPut = (object: unknown) => refusal(() => applyJsonPut(base, object, at(2)));
const refusedUpdate = (partial: unknown) => refusal(() => applyJsonUpdate(base, partial, at(2)));

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let level = 1; level < depth; level++) value = { n: value };
  return value;
}

describe("JSON record input", () => {
  it.each([
    ["a function", { f: () => 1 }, "not-json", "f"],
    ["a symbol", { s: Symbol("s") }, "not-json", "s"],
    ["a bigint", { n: 1n }, "not-json", "n"],
    ["a Date", { when: new Date(0) }, "not-json", "when"],
    ["a Map", { m: new Map() }, "not-json", "m"],
    ["a class instance", { x: new (class Point {})() }, "not-json", "x"],
    ["undefined in an array", { tags: ["a", undefined] }, "undefined-in-array", "tags[1]"],
    ["a hole in an array", { tags: [1, , 3] }, "undefined-in-array", "tags[1]"],
    ["NaN", { n: Number.NaN }, "non-finite-number", "n"],
    ["Infinity inside an array", { list: [{ n: Number.POSITIVE_INFINITY }] }, "non-finite-number", "list[0].n"],
    ["a lone surrogate", { s: "\uD800" }, "not-json", "s"],
    ["a field name with a dot", { "a.b": 1 }, "bad-field-name", "a.b"],
    ["an empty field name", { "": 1 }, "bad-field-name", ""],
    ["a too long field name", { ["x".repeat(JSON_RECORD_LIMITS.maxFieldNameLength + 1)]: 1 }, "bad-field-name", "x".repeat(257)],
  ])("refuses %s with its reason and path", (_what, object, reason, path) => {
    const error = refusedPut(object);
    expect(error.code).toBe("BAD_USER_INPUT");
    expect(error.details).toEqual({ field: "value", reason, path });
  });

  it("refuses a cycle, naming where it closes", () => {
    const loop: Record<string, unknown> = { a: { b: {} } };
    (loop.a as { b: Record<string, unknown> }).b.back = loop;
    expect(refusedPut(loop).details).toMatchObject({ reason: "cycle", path: "a.b.back" });
  });

  it("refuses nesting past the depth limit, counting the segments of a dotted path", () => {
    expect(() => applyJsonPut(base, nested(JSON_RECORD_LIMITS.maxDepth), at(2))).not.toThrow();
    expect(refusedPut(nested(JSON_RECORD_LIMITS.maxDepth + 1)).details).toMatchObject({ reason: "too-deep" });
    const deepPath = Array.from({ length: JSON_RECORD_LIMITS.maxDepth - 1 }, () => "n").join(".");
    expect(() => applyJsonUpdate(base, { [deepPath]: { leaf: 1 } }, at(2))).not.toThrow();
    expect(refusedUpdate({ [deepPath]: { n: { leaf: 1 } } }).details).toMatchObject({ reason: "too-deep" });
  });

  it("refuses a write of more fields than the limit", () => {
    const many = Object.fromEntries(Array.from({ length: JSON_RECORD_LIMITS.maxFieldsPerWrite + 1 }, (_, i) => [`f${i}`, i]));
    expect(refusedPut(many).details).toMatchObject({ reason: "too-many-fields" });
    expect(refusedUpdate({ list: Array.from({ length: JSON_RECORD_LIMITS.maxFieldsPerWrite }, () => 0) }).details).toMatchObject({
      reason: "too-many-fields",
    });
  });

  it("refuses a put of something other than a plain object", () => {
    for (const value of [null, [], "text", 3, new Date(0)]) {
      expect(refusedPut(value).details).toMatchObject({ reason: "not-an-object", path: "" });
    }
  });

  it("refuses an update naming a field and a field inside it, or a malformed path", () => {
    expect(refusedUpdate({ "a-b": 1, a: 1, "a.b": 2 }).details).toMatchObject({ reason: "overlapping-paths", path: "a.b" });
    expect(refusedUpdate({ "a..b": 1 }).details).toMatchObject({ reason: "bad-field-name", path: "a." });
    expect(refusedUpdate([]).details).toMatchObject({ reason: "not-an-object" });
  });

  it("refuses a malformed clock", () => {
    for (const run of [
      () => applyJsonPut(base, {}, "yesterday"),
      () => applyJsonUpdate(base, { a: 1 }, ""),
      () => applyJsonRemove(base, "1-2-3"),
    ]) {
      expect(refusal(run).details).toMatchObject({ field: "clock" });
    }
  });

  it("stores -0 as 0, leaves out undefined fields of an object, and keeps a field named __proto__", () => {
    const state = applyJsonPut(EMPTY_JSON_STATE, JSON.parse('{"__proto__": {"x": -0}, "n": 1}'), at(1));
    const updated = applyJsonUpdate(state, { obj: { kept: 1, dropped: undefined } }, at(2));
    const value = materializeJson(updated)!;
    expect(Object.keys(value)).toEqual(["__proto__", "n", "obj"]);
    expect(Object.is((value["__proto__"] as { x: number }).x, 0)).toBe(true);
    expect(value.obj).toEqual({ kept: 1 });
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });
});

describe("JSON record text form", () => {
  it("encodes equal states to equal text whatever order fields were given in", () => {
    const one = applyJsonPut(EMPTY_JSON_STATE, { b: { y: 1, x: [{ q: 1, p: 2 }] }, a: 1 }, at(1));
    const other = applyJsonPut(EMPTY_JSON_STATE, { a: 1, b: { x: [{ p: 2, q: 1 }], y: 1 } }, at(1));
    expect(encodeJsonState(one)).toBe(encodeJsonState(other));
    expect(encodeJsonState(one)).toBe(
      `{"r":{"c":{"a":{"w":[0,"v",1]},"b":{"c":{"x":{"w":[0,"v",[{"p":2,"q":1}]]},"y":{"w":[0,"v",1]}},"w":[0,"o"]}},` +
        `"w":["${at(1)}","o"]},"v":1}`,
    );
    const updated = applyJsonUpdate(one, { "b.y": 2 }, at(2));
    expect(encodeJsonState(updated)).toContain(`"y":{"w":[0,"v",2]}},"w":[0,"e","${at(1)}"]}},"w":["${at(2)}","e","${at(1)}"]}`);
    expect(encodeJsonState(updated)).toContain(`"x":{"w":["${at(1)}","v"`);
  });

  it("counts the UTF-8 bytes of the text form for quota", () => {
    const state = applyJsonUpdate(base, { title: "crème brûlée 🍮" }, at(2));
    expect(jsonStateSizeBytes(state)).toBe(utf8Length(encodeJsonState(state)));
    expect(jsonStateSizeBytes(state)).toBeGreaterThan(encodeJsonState(state).length);
  });

  it("reads back what it wrote, dropping writes a floor above hides", () => {
    const text = JSON.stringify({ r: { c: { a: { w: [at(1), "v", 1] }, b: { w: [at(3), "v", 2] } }, w: [at(2), "u"] }, v: 1 });
    const state: JsonState = decodeJsonState(text);
    expect(materializeJson(state)).toEqual({ b: 2 });
    expect([...state.fields.keys()]).toEqual(["b"]);
    expect(decodeJsonState(encodeJsonState(state))).toEqual(state);
  });

  it.each([
    ["text that is not JSON", "{"],
    ["another version", JSON.stringify({ r: {}, v: 2 })],
    ["an extra top-level key", JSON.stringify({ r: {}, v: 1, x: 1 })],
    ["an unknown node key", JSON.stringify({ r: { x: 1 }, v: 1 })],
    ["a malformed clock", JSON.stringify({ r: { w: ["soon", "o"] }, v: 1 })],
    ["an unknown write kind", JSON.stringify({ r: { w: [at(1), "z"] }, v: 1 })],
    ["a scalar at the root", JSON.stringify({ r: { w: [at(1), "v", 1] }, v: 1 })],
    ["an object as a field value", JSON.stringify({ r: { c: { a: { w: [at(1), "v", {}] } } }, v: 1 })],
    ["an exists floor not before its clock", JSON.stringify({ r: { w: [at(1), "e", at(1)] }, v: 1 })],
    ["the parent's clock 0 under a node with no write", JSON.stringify({ r: { c: { a: { w: [0, "v", 1] } } }, v: 1 })],
    ["the parent's clock written out", JSON.stringify({ r: { c: { a: { w: [at(1), "v", 1] } }, w: [at(1), "o"] }, v: 1 })],
    ["fields that are not an object", JSON.stringify({ r: { c: [] }, v: 1 })],
  ])("refuses a state with %s", (_what, text) => {
    expect(refusal(() => decodeJsonState(text)).details).toMatchObject({ field: "value", reason: "malformed-state" });
  });

  it("refuses a state with a bad field name or nesting past the limit", () => {
    const dotted = JSON.stringify({ r: { c: { "a.b": { w: [at(1), "v", 1] } } }, v: 1 });
    expect(refusal(() => decodeJsonState(dotted)).details).toMatchObject({ reason: "bad-field-name" });
    let node: unknown = { w: [at(1), "v", 1] };
    for (let level = 0; level <= JSON_RECORD_LIMITS.maxDepth; level++) node = { c: { n: node } };
    expect(refusal(() => decodeJsonState(JSON.stringify({ r: node, v: 1 }))).details).toMatchObject({ reason: "too-deep" });
  });
});
