/**
 * JSON values as JSON records hold them: what an app may store, how it is checked, and its
 * canonical text. Checking happens once, where a value enters (a put, an update, a decoded
 * state); everything inside then trusts the value. The canonical text (object keys sorted) is
 * what lets two replicas agree on equality and on the order of equal-clock writes.
 */
import { SyncpoolError } from "./errors.js";

/** A JSON value: what `JSON.parse` can return. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** A JSON object; a JSON record's materialized value is one. */
export interface JsonObject {
  [field: string]: JsonValue;
}

/** Limits on JSON record values, the same for every pool. */
export const JSON_RECORD_LIMITS = Object.freeze({
  /** Nesting of objects and arrays, counting the segments of a dotted path. */
  maxDepth: 32,
  /** Fields and array elements one put or update may carry, all levels together. */
  maxFieldsPerWrite: 1024,
  /** Length of one field name in UTF-16 code units. */
  maxFieldNameLength: 256,
} as const);

/** Why a value was refused, in `details.reason` of the BAD_USER_INPUT error. */
export type JsonInputReason =
  | "not-json"
  | "not-an-object"
  | "undefined-in-array"
  | "non-finite-number"
  | "cycle"
  | "too-deep"
  | "too-many-fields"
  | "bad-field-name"
  | "overlapping-paths"
  | "malformed-state";

/**
 * The error for a refused JSON input: BAD_USER_INPUT with `details` `{field, reason, path}`;
 * `path` is where in the value the problem sits (`""` for the value itself).
 */
export function jsonInputError(reason: JsonInputReason, path: string, message: string, field = "value"): SyncpoolError {
  const where = path === "" ? field : `${field}.${path}`;
  return new SyncpoolError("BAD_USER_INPUT", `${where}: ${message}`, { field, reason, path });
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True for an object literal or `JSON.parse` result (from any realm), not a Date, Map or class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  if (Object.prototype.toString.call(value) !== "[object Object]") return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * Throws BAD_USER_INPUT (`bad-field-name`) unless `name` can name a field: 1 to 256 characters,
 * well-formed Unicode, and no `.`, since a dot separates the segments of an update's path.
 */
export function assertFieldName(name: string, path: string, field = "value"): void {
  if (name.length < 1 || name.length > JSON_RECORD_LIMITS.maxFieldNameLength) {
    throw jsonInputError("bad-field-name", path, `field names are 1 to ${JSON_RECORD_LIMITS.maxFieldNameLength} characters`, field);
  }
  if (name.includes(".")) {
    throw jsonInputError("bad-field-name", path, `field name ${JSON.stringify(name)} holds a '.', which separates path segments`, field);
  }
  if (LONE_SURROGATE.test(name)) {
    throw jsonInputError("bad-field-name", path, "field names must be well-formed Unicode", field);
  }
}

/** Joins a path and a field name for messages and details. */
export function childPath(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}

/** Counts fields against `maxFieldsPerWrite` across one write. */
export interface FieldBudget {
  remaining: number;
}

/** A fresh budget for one put or update. */
export function newFieldBudget(): FieldBudget {
  return { remaining: JSON_RECORD_LIMITS.maxFieldsPerWrite };
}

/**
 * Checks that `value` is a JSON value and returns a normalized copy: `-0` becomes `0` (JSON has
 * one zero), object fields whose value is `undefined` are left out (as `JSON.stringify` does).
 * Throws BAD_USER_INPUT with a reason and the path of the first problem: functions, symbols,
 * bigints, class instances, `undefined` or holes in arrays, NaN and infinities, lone surrogates,
 * cycles, nesting deeper than `maxDepth` (counted from `depth`), too many fields, bad field names.
 */
export function normalizeJsonValue(
  value: unknown,
  path = "",
  depth = 0,
  budget: FieldBudget = newFieldBudget(),
  field = "value",
  ancestors: unknown[] = [],
): JsonValue {
  switch (typeof value) {
    case "string":
      if (LONE_SURROGATE.test(value)) throw jsonInputError("not-json", path, "strings must be well-formed Unicode", field);
      return value;
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw jsonInputError("non-finite-number", path, `${value} is not a JSON number`, field);
      return value === 0 ? 0 : value;
    case "object":
      break;
    default:
      throw jsonInputError("not-json", path, `a ${typeof value} is not a JSON value`, field);
  }
  if (value === null) return null;
  if (ancestors.includes(value)) throw jsonInputError("cycle", path, "the value refers to itself", field);
  if (depth >= JSON_RECORD_LIMITS.maxDepth) {
    throw jsonInputError("too-deep", path, `nesting is limited to ${JSON_RECORD_LIMITS.maxDepth} levels`, field);
  }
  ancestors.push(value);
  try {
    if (Array.isArray(value)) return normalizeArray(value, path, depth, budget, field, ancestors);
    if (!isPlainObject(value)) throw jsonInputError("not-json", path, "only plain objects and arrays are JSON", field);
    const copy: JsonObject = {};
    for (const name of Object.keys(value)) {
      const item = value[name];
      if (item === undefined) continue;
      const itemPath = childPath(path, name);
      assertFieldName(name, itemPath, field);
      spend(budget, itemPath, field);
      // defineProperty, so a field named __proto__ stays a field.
      Object.defineProperty(copy, name, {
        value: normalizeJsonValue(item, itemPath, depth + 1, budget, field, ancestors),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  } finally {
    ancestors.pop();
  }
}

function normalizeArray(
  value: unknown[],
  path: string,
  depth: number,
  budget: FieldBudget,
  field: string,
  ancestors: unknown[],
): JsonValue[] {
  const copy: JsonValue[] = [];
  for (let index = 0; index < value.length; index++) {
    const itemPath = `${path}[${index}]`;
    // `in` also catches holes, which JSON would turn into null behind the app's back.
    if (!(index in value) || value[index] === undefined) {
      throw jsonInputError("undefined-in-array", itemPath, "arrays may not hold undefined (use null)", field);
    }
    spend(budget, itemPath, field);
    copy.push(normalizeJsonValue(value[index], itemPath, depth + 1, budget, field, ancestors));
  }
  return copy;
}

/** Takes one field from the budget; throws `too-many-fields` when it is spent. */
export function spend(budget: FieldBudget, path: string, field = "value"): void {
  budget.remaining -= 1;
  if (budget.remaining < 0) {
    throw jsonInputError("too-many-fields", path, `one write may carry at most ${JSON_RECORD_LIMITS.maxFieldsPerWrite} fields`, field);
  }
}

/**
 * The canonical text of a JSON value: `JSON.stringify` with object keys sorted by code unit at
 * every level, so equal values have equal text on every replica.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const names = Object.keys(value).sort(compareCodeUnits);
  return `{${names.map((name) => `${JSON.stringify(name)}:${canonicalJson(value[name]!)}`).join(",")}}`;
}

/** Code-unit order, never `localeCompare`: replicas must agree whatever their locale. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
