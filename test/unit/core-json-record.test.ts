// JSON records by example: what concurrent writes on two devices give once merged, and which
// local writes are reported as overwritten.
import { describe, expect, it } from "vitest";
import { formatClock } from "../../core/clock.js";
import { applyJsonPut, applyJsonRemove, applyJsonUpdate, materializeJson } from "../../core/json-record.js";
import { listOverwrittenJsonWrites } from "../../core/json-overwritten.js";
import { EMPTY_JSON_STATE, latestJsonClock, mergeJsonStates, type JsonState } from "../../core/json-state.js";

const at = (wallMs: number, deviceId = "phone") => formatClock({ wallMs, counter: 0, deviceId });
const put = (state: JsonState, object: unknown, wallMs: number, deviceId = "phone") => applyJsonPut(state, object, at(wallMs, deviceId));
const update = (state: JsonState, partial: unknown, wallMs: number, deviceId = "phone") =>
  applyJsonUpdate(state, partial, at(wallMs, deviceId));
const remove = (state: JsonState, wallMs: number, deviceId = "phone") => applyJsonRemove(state, at(wallMs, deviceId));
const both = (a: JsonState, b: JsonState) => {
  const merged = mergeJsonStates(a, b);
  expect(materializeJson(mergeJsonStates(b, a))).toEqual(materializeJson(merged));
  return materializeJson(merged);
};

const todo = put(EMPTY_JSON_STATE, { title: "Buy milk", done: false }, 1);

describe("JSON records merged per field", () => {
  it("keeps both a rename on one device and a tick on another", () => {
    const renamed = update(todo, { title: "Buy oat milk" }, 2, "laptop");
    const ticked = update(todo, { done: true }, 3, "phone");
    expect(both(renamed, ticked)).toEqual({ title: "Buy oat milk", done: true });
  });

  it("keeps the later of two writes to one field", () => {
    const early = update(todo, { title: "early" }, 2, "laptop");
    const late = update(todo, { title: "late" }, 3, "phone");
    expect(both(early, late)).toEqual({ title: "late", done: false });
  });

  it("merges nested objects field by field", () => {
    const base = put(EMPTY_JSON_STATE, { address: { city: "Lyon", zip: "69001" }, name: "Ana" }, 1);
    const moved = update(base, { "address.city": "Paris" }, 2, "laptop");
    const zip = update(base, { "address.zip": "75001", "address.geo.lat": 48.8 }, 3, "phone");
    expect(both(moved, zip)).toEqual({ address: { city: "Paris", zip: "75001", geo: { lat: 48.8 } }, name: "Ana" });
  });

  it("treats arrays as single values: the later array wins whole", () => {
    const base = put(EMPTY_JSON_STATE, { tags: ["a", "b"] }, 1);
    const added = update(base, { tags: ["a", "b", "c"] }, 2, "laptop");
    const dropped = update(base, { tags: ["b"] }, 3, "phone");
    expect(both(added, dropped)).toEqual({ tags: ["b"] });
  });

  it("an object given whole in an update replaces the field, but a later nested write survives it", () => {
    const base = put(EMPTY_JSON_STATE, { address: { city: "Lyon", zip: "69001" } }, 1);
    const replaced = update(base, { address: { city: "Paris" } }, 2, "laptop");
    expect(materializeJson(replaced)).toEqual({ address: { city: "Paris" } });
    expect(both(replaced, update(base, { "address.zip": "69002" }, 3, "phone"))).toEqual({
      address: { city: "Paris", zip: "69002" },
    });
    expect(both(update(base, { address: { city: "Paris" } }, 3, "laptop"), update(base, { "address.zip": "69002" }, 2))).toEqual({
      address: { city: "Paris" },
    });
  });

  it("a field set below a scalar turns it into an object, and a later scalar replaces the object", () => {
    const base = put(EMPTY_JSON_STATE, { note: "text" }, 1);
    expect(both(base, update(base, { "note.body": "text" }, 2))).toEqual({ note: { body: "text" } });
    expect(both(update(base, { "note.body": "x" }, 2, "laptop"), update(base, { note: "plain" }, 3))).toEqual({ note: "plain" });
  });

  it("unsets a field with undefined, and the later of an unset and a set wins", () => {
    expect(materializeJson(update(todo, { done: undefined }, 2))).toEqual({ title: "Buy milk" });
    expect(both(update(todo, { done: undefined }, 2, "laptop"), update(todo, { done: true }, 3))).toEqual({ title: "Buy milk", done: true });
    expect(both(update(todo, { done: undefined }, 3, "laptop"), update(todo, { done: true }, 2))).toEqual({ title: "Buy milk" });
  });

  it("a put replaces the record but keeps field writes made after it", () => {
    const later = update(todo, { done: true }, 3, "laptop");
    const replaced = put(todo, { title: "Call mum" }, 2);
    expect(both(later, replaced)).toEqual({ title: "Call mum", done: true });
  });

  it("an object emptied of its last field stays as an empty object", () => {
    const tagged = update(EMPTY_JSON_STATE, { "meta.colour": "red" }, 1);
    expect(materializeJson(update(tagged, { "meta.colour": undefined }, 2))).toEqual({ meta: {} });
  });
});

describe("removing a JSON record", () => {
  it("hides every field written before the removal", () => {
    const edited = update(todo, { title: "Buy oat milk" }, 2, "laptop");
    expect(both(edited, remove(todo, 3))).toBeNull();
  });

  it("a field written after a concurrent removal brings the record back with only that field", () => {
    const ticked = update(todo, { done: true }, 3, "laptop");
    expect(both(ticked, remove(todo, 2))).toEqual({ done: true });
  });

  it("an unset after a removal brings nothing back", () => {
    expect(both(update(todo, { done: undefined }, 3, "laptop"), remove(todo, 2))).toBeNull();
  });

  it("a put after a removal starts the record afresh", () => {
    const removed = remove(todo, 2);
    expect(materializeJson(put(removed, { title: "again" }, 3))).toEqual({ title: "again" });
    expect(both(put(todo, { title: "again" }, 2, "laptop"), remove(todo, 3))).toBeNull();
  });

  it("a record never written, or only unset, is null", () => {
    expect(materializeJson(EMPTY_JSON_STATE)).toBeNull();
    expect(materializeJson(update(EMPTY_JSON_STATE, { title: undefined }, 1))).toBeNull();
    expect(latestJsonClock(EMPTY_JSON_STATE)).toBeNull();
  });

  it("drops the removed fields from the state, so a removal frees their space", () => {
    const removed = mergeJsonStates(update(todo, { notes: "x".repeat(1000) }, 2), remove(todo, 3));
    expect(removed.fields.size).toBe(0);
    expect(latestJsonClock(removed)).toBe(at(3));
  });
});

describe("listOverwrittenJsonWrites", () => {
  it("lists a local field write that a later remote write beat, with both values and clocks", () => {
    const pending = update(EMPTY_JSON_STATE, { title: "mine", done: true }, 2, "laptop");
    const merged = mergeJsonStates(mergeJsonStates(todo, pending), update(todo, { title: "theirs" }, 3));
    expect(listOverwrittenJsonWrites(pending, merged)).toEqual([
      { path: "title", localValue: "mine", localClock: at(2, "laptop"), winningValue: "theirs", winningClock: at(3) },
    ]);
  });

  it("lists the fields of a put that a later removal hid, and nested fields a later parent write replaced", () => {
    const pending = put(EMPTY_JSON_STATE, { a: { b: 1 }, c: 2 }, 2, "laptop");
    expect(listOverwrittenJsonWrites(pending, mergeJsonStates(pending, remove(todo, 3)))).toEqual([
      { path: "a.b", localValue: 1, localClock: at(2, "laptop"), winningValue: undefined, winningClock: at(3) },
      { path: "c", localValue: 2, localClock: at(2, "laptop"), winningValue: undefined, winningClock: at(3) },
    ]);
    const replacedParent = mergeJsonStates(pending, update(EMPTY_JSON_STATE, { a: "flat" }, 3));
    expect(listOverwrittenJsonWrites(pending, replacedParent).map((lost) => [lost.path, lost.winningClock])).toEqual([["a.b", at(3)]]);
  });

  it("lists an unset that a later set undid, and a scalar a later nested write turned into an object", () => {
    const pending = update(EMPTY_JSON_STATE, { done: undefined, title: "t" }, 2, "laptop");
    const merged = mergeJsonStates(pending, update(EMPTY_JSON_STATE, { done: true, "title.en": "t" }, 3));
    expect(listOverwrittenJsonWrites(pending, merged)).toEqual([
      { path: "done", localValue: undefined, localClock: at(2, "laptop"), winningValue: true, winningClock: at(3) },
      { path: "title", localValue: "t", localClock: at(2, "laptop"), winningValue: { en: "t" }, winningClock: at(3) },
    ]);
  });

  it("lists nothing when local writes won, were merged into, or lost to the same value", () => {
    const pending = update(EMPTY_JSON_STATE, { title: "mine", meta: {}, done: true }, 3, "laptop");
    const merged = mergeJsonStates(
      pending,
      mergeJsonStates(update(todo, { title: "theirs" }, 2), update(todo, { done: true, "meta.x": 1 }, 4)),
    );
    expect(materializeJson(merged)).toEqual({ title: "mine", meta: { x: 1 }, done: true });
    expect(listOverwrittenJsonWrites(pending, merged)).toEqual([]);
  });
});
