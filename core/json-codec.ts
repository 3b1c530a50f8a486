/**
 * The text form of a JSON record's state, for storage and the wire, and its size for quota.
 * Deterministic: field names sorted, values in canonical JSON, so equal states encode to equal
 * strings on every replica and storage can compare states as text.
 *
 * Form: `{"r":<node>,"v":1}`, a node being `{"c":{<name>:<node>,...},"w":<write>}` (either key
 * left out when empty) and a write one of `[clock,"v",value]`, `[clock,"o"]`, `[clock,"u"]`,
 * `[clock,"e"]` or `[clock,"e",floor]`. Replacing writes (`v`, `o`, `u`) set the node's floor
 * to their own clock, so only an `exists` write spells a floor out. A clock equal to the clock of
 * the parent node's write is written `0`: the fields of one put share its clock, and a clock is
 * most of a field's bytes.
 */
import { compareClocks, parseClock } from "./clock.js";
import { canonicalJsonState, type JsonNode, type JsonState, type JsonWrite } from "./json-state.js";
import {
  JSON_RECORD_LIMITS,
  assertFieldName,
  canonicalJson,
  childPath,
  compareCodeUnits,
  isPlainObject,
  jsonInputError,
  normalizeJsonValue,
  type FieldBudget,
} from "./json-value.js";
import { utf8Length } from "./limits.js";

const FORMAT_VERSION = 1;
const KIND_TAGS = { value: "v", object: "o", exists: "e", unset: "u" } as const;

function encodeWrite(write: JsonWrite, floor: string | null, parentClock: string | null): string {
  const clock = write.clock === parentClock ? "0" : JSON.stringify(write.clock);
  if (write.kind === "value") return `[${clock},"v",${canonicalJson(write.value)}]`;
  if (write.kind === "exists" && floor !== null) return `[${clock},"e",${JSON.stringify(floor)}]`;
  return `[${clock},"${KIND_TAGS[write.kind]}"]`;
}

function encodeNode(node: JsonNode, parentClock: string | null): string {
  const parts: string[] = [];
  if (node.fields.size > 0) {
    const names = [...node.fields.keys()].sort(compareCodeUnits);
    const clock = node.write?.clock ?? null;
    const fields = names.map((name) => `${JSON.stringify(name)}:${encodeNode(node.fields.get(name)!, clock)}`);
    parts.push(`"c":{${fields.join(",")}}`);
  }
  if (node.write !== null) parts.push(`"w":${encodeWrite(node.write, node.floor, parentClock)}`);
  return `{${parts.join(",")}}`;
}

/** The text form of a state; equal states give equal text. */
export function encodeJsonState(state: JsonState): string {
  return `{"r":${encodeNode(state, null)},"v":${FORMAT_VERSION}}`;
}

/** What a JSON record counts against `maxDatasetBytes`: the UTF-8 bytes of its text form. */
export function jsonStateSizeBytes(state: JsonState): number {
  return utf8Length(encodeJsonState(state));
}

const FIELD = "value";

function malformed(path: string, message: string) {
  return jsonInputError("malformed-state", path, message, FIELD);
}

function decodeClock(text: unknown, path: string): string {
  if (typeof text !== "string") throw malformed(path, "a clock is a string");
  try {
    parseClock(text);
  } catch {
    throw malformed(path, `${JSON.stringify(text)} is not a clock`);
  }
  return text;
}

// No budget limit on decoding: merged states legitimately hold more fields than one write may.
const UNLIMITED: FieldBudget = { remaining: Number.POSITIVE_INFINITY };

function decodeWrite(
  raw: unknown,
  path: string,
  depth: number,
  parentClock: string | null,
): { write: JsonWrite; floor: string | null } {
  if (!Array.isArray(raw) || raw.length < 2) throw malformed(path, "a write is [clock, kind, ...]");
  if (raw[0] === 0 && parentClock === null) throw malformed(path, "clock 0 (the parent's) where the parent has no write");
  // Writing out a clock equal to the parent's would give a second text for one state.
  if (raw[0] === parentClock) throw malformed(path, "a clock equal to the parent's is written 0");
  const isRoot = depth === 0;
  const clock = raw[0] === 0 ? parentClock! : decodeClock(raw[0], path);
  const tag: unknown = raw[1];
  if (tag === "v" && raw.length === 3 && !isRoot) {
    const value = normalizeJsonValue(raw[2], path, depth, UNLIMITED, FIELD);
    if (isPlainObject(value)) throw malformed(path, "an object is written as an object mark and fields");
    return { write: { clock, kind: "value", value }, floor: clock };
  }
  if ((tag === "o" || tag === "u") && raw.length === 2) {
    return { write: { clock, kind: tag === "o" ? "object" : "unset" }, floor: clock };
  }
  if (tag === "e" && raw.length === 2) return { write: { clock, kind: "exists" }, floor: null };
  if (tag === "e" && raw.length === 3) {
    const floor = decodeClock(raw[2], path);
    // A replacing write at or after the exists mark would have outranked it.
    if (compareClocks(floor, clock) >= 0) throw malformed(path, "an exists mark's floor comes before its clock");
    return { write: { clock, kind: "exists" }, floor };
  }
  throw malformed(path, `unknown write ${JSON.stringify(tag)}`);
}

function decodeNode(raw: unknown, path: string, depth: number, parentClock: string | null): JsonNode {
  if (!isPlainObject(raw)) throw malformed(path, "a node is an object");
  if (depth > JSON_RECORD_LIMITS.maxDepth) throw jsonInputError("too-deep", path, "the state nests too deep", FIELD);
  for (const key of Object.keys(raw)) {
    if (key !== "c" && key !== "w") throw malformed(path, `unknown node key ${JSON.stringify(key)}`);
  }
  const { write, floor } = raw.w === undefined ? { write: null, floor: null } : decodeWrite(raw.w, path, depth, parentClock);
  const fields = new Map<string, JsonNode>();
  if (raw.c !== undefined) {
    if (!isPlainObject(raw.c)) throw malformed(path, "fields are an object");
    for (const name of Object.keys(raw.c)) {
      const fieldPath = childPath(path, name);
      assertFieldName(name, fieldPath, FIELD);
      fields.set(name, decodeNode(raw.c[name], fieldPath, depth + 1, write?.clock ?? null));
    }
  }
  return { write, floor, fields };
}

/**
 * Reads a state from its text form. Anything not produced by `encodeJsonState` (bad JSON, an
 * unknown shape or version, a malformed clock, a value that is not JSON, nesting past
 * `maxDepth`) throws BAD_USER_INPUT with `reason: "malformed-state"` (or the value's own reason)
 * and the path. The result is canonical: writes hidden by a floor above them are dropped.
 */
export function decodeJsonState(text: string): JsonState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw malformed("", "not JSON");
  }
  if (!isPlainObject(raw) || raw.v !== FORMAT_VERSION || Object.keys(raw).length !== 2 || !("r" in raw)) {
    throw malformed("", `expected {"r": node, "v": ${FORMAT_VERSION}}`);
  }
  return canonicalJsonState(decodeNode(raw.r, "", 0, null));
}
