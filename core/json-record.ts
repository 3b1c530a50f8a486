/**
 * The operations on a JSON record and its visible value. Each operation builds the small state
 * its write amounts to and merges it in, so applying a write is itself a merge: a device that
 * applies a write and one that receives the resulting state end up the same.
 *
 * - put(object): the record becomes the object. Writes `object` at the root and every nested
 *   object, `value` at every other field, all at one clock.
 * - update(partial): for each dotted path, the field becomes the given value (an object given
 *   whole replaces the field) or, for `undefined`, is unset. Parents of a set field get an
 *   `exists` mark at the same clock: they become objects if they were not, and keep their other
 *   fields.
 * - remove(): an `unset` at the root: the record and every older write in it are gone; field
 *   writes after it bring the record back with only those fields.
 */
import { parseClock } from "./clock.js";
import { canonicalJsonState, mergeJsonStates, type JsonNode, type JsonState, type JsonWrite } from "./json-state.js";
import {
  JSON_RECORD_LIMITS,
  assertFieldName,
  compareCodeUnits,
  isPlainObject,
  jsonInputError,
  newFieldBudget,
  normalizeJsonValue,
  spend,
  type FieldBudget,
  type JsonObject,
  type JsonValue,
} from "./json-value.js";

type MutableNode = { write: JsonWrite | null; floor: string | null; fields: Map<string, MutableNode> };

function emptyNode(): MutableNode {
  return { write: null, floor: null, fields: new Map() };
}

function assign(node: MutableNode, write: JsonWrite): void {
  node.write = write;
  node.floor = write.kind === "exists" ? null : write.clock;
}

// Writes a normalized value at `node`: objects become an `object` mark plus one node per field.
function writeValue(node: MutableNode, value: JsonValue, clock: string): void {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    assign(node, { clock, kind: "value", value });
    return;
  }
  assign(node, { clock, kind: "object" });
  for (const [name, item] of Object.entries(value)) {
    const child = emptyNode();
    writeValue(child, item, clock);
    node.fields.set(name, child);
  }
}

function checkClock(clock: string): void {
  parseClock(clock, "clock");
}

/**
 * The state after putting `object` at `clock`: the record becomes `object`, except for fields
 * written with later clocks, which stay. Throws BAD_USER_INPUT (`field: "value"`, with `reason`
 * and `path`) unless `object` is a plain object of JSON values within `JSON_RECORD_LIMITS`, or
 * (`field: "clock"`) when `clock` is malformed; `state` is then unchanged.
 */
export function applyJsonPut(state: JsonState, object: unknown, clock: string): JsonState {
  checkClock(clock);
  if (!isPlainObject(object)) throw jsonInputError("not-an-object", "", "a JSON record's value is a plain object");
  const root = emptyNode();
  writeValue(root, normalizeJsonValue(object), clock);
  return mergeJsonStates(state, root);
}

/** Splits a dotted path into field names, checking each; throws `bad-field-name`. */
export function parseFieldPath(path: string, field = "value"): string[] {
  const names = path.split(".");
  if (names.length > JSON_RECORD_LIMITS.maxDepth) {
    throw jsonInputError("too-deep", path, `paths have at most ${JSON_RECORD_LIMITS.maxDepth} segments`, field);
  }
  names.forEach((name, index) => assertFieldName(name, names.slice(0, index + 1).join("."), field));
  return names;
}

function assertNoOverlap(paths: string[][]): void {
  const all = new Set(paths.map((names) => names.join(".")));
  for (const names of paths) {
    for (let length = 1; length < names.length; length++) {
      const prefix = names.slice(0, length).join(".");
      if (all.has(prefix)) {
        const path = names.join(".");
        throw jsonInputError("overlapping-paths", path, `${prefix} and ${path} both appear in one update`);
      }
    }
  }
}

/**
 * The state after updating the named fields at `clock`. Keys of `partial` are dotted paths
 * (`"address.city"`); a value sets the field (an object replaces it whole; parents that are not
 * objects become objects), `undefined` unsets it. Other fields are untouched, and concurrent
 * writes to other fields all survive. An update on a removed record brings it back holding the
 * fields it sets. An empty `partial` changes nothing. Throws BAD_USER_INPUT (`reason` and
 * `path` in details) for a bad value or field name, overlapping paths (`a` and `a.b`), or a
 * malformed clock; `state` is then unchanged.
 */
export function applyJsonUpdate(state: JsonState, partial: unknown, clock: string): JsonState {
  checkClock(clock);
  if (!isPlainObject(partial)) throw jsonInputError("not-an-object", "", "an update is a plain object of paths to values");
  const entries = Object.keys(partial).map((path) => ({ path, names: parseFieldPath(path), value: partial[path] }));
  if (entries.length === 0) return state;
  assertNoOverlap(entries.map((entry) => entry.names));
  const budget: FieldBudget = newFieldBudget();
  const root = emptyNode();
  for (const { path, names, value } of entries) {
    spend(budget, path);
    let node = root;
    for (const name of names) {
      // Only a set marks the parents: an unset of a field whose parent is gone revives nothing.
      if (value !== undefined) assign(node, { clock, kind: "exists" });
      let child = node.fields.get(name);
      if (child === undefined) {
        child = emptyNode();
        node.fields.set(name, child);
      }
      node = child;
    }
    if (value === undefined) {
      assign(node, { clock, kind: "unset" });
    } else {
      writeValue(node, normalizeJsonValue(value, path, names.length, budget), clock);
    }
  }
  return mergeJsonStates(state, canonicalJsonState(root));
}

/**
 * The state after removing the record at `clock`: it materializes as null until a later write.
 * Field writes with earlier clocks are hidden for good; later ones bring the record back with
 * only those fields. Throws BAD_USER_INPUT when `clock` is malformed.
 */
export function applyJsonRemove(state: JsonState, clock: string): JsonState {
  checkClock(clock);
  const root = emptyNode();
  assign(root, { clock, kind: "unset" });
  return mergeJsonStates(state, root);
}

/** The visible value of a node, or undefined when it shows nothing. */
export function materializeJsonNode(node: JsonNode): JsonValue | undefined {
  const write = node.write;
  if (write?.kind === "value") return write.value;
  const object: JsonObject = {};
  let shown = false;
  for (const name of [...node.fields.keys()].sort(compareCodeUnits)) {
    const value = materializeJsonNode(node.fields.get(name)!);
    if (value === undefined) continue;
    Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
    shown = true;
  }
  return shown || write?.kind === "object" || write?.kind === "exists" ? object : undefined;
}

/**
 * The record's value as a plain object, or null when it is removed or was never written. Fields
 * are added in code-unit order, so every replica gives the same key order. A fresh object each call.
 */
export function materializeJson(state: JsonState): JsonObject | null {
  const value = materializeJsonNode(state);
  // States from the operations and the decoder never hold a `value` write at the root.
  return value === undefined || !isPlainObject(value) ? null : (value as JsonObject);
}
