/**
 * Checks a query once, where it enters, and turns it into a matcher and a comparator with the
 * dotted paths already split. A bad query is BAD_USER_INPUT with `details.reason` "bad-query"
 * and `details.path` naming the offending part (`"where.and[1].gt"`).
 */
import { SyncpoolError } from "../errors.js";
import { isPlainObject, normalizeJsonValue, type JsonObject, type JsonValue } from "../json-value.js";
import { parseFieldPath } from "../json-record.js";
import { compareJson, jsonEquals } from "./compare-json.js";
import type { Query, QueryRow } from "./query-types.js";

/** A checked query, ready to run over many records. */
export interface CompiledQuery {
  /** True when the record's value passes `where`. */
  matches(value: JsonObject): boolean;
  /** The result order: `orderBy` keys, then record key. */
  compare(a: QueryRow<JsonObject>, b: QueryRow<JsonObject>): number;
  /** At most this many rows (Infinity without a limit). */
  limit: number;
}

type Matcher = (value: JsonObject) => boolean;

const CONDITION_OPERATORS = new Set(["eq", "in", "gt", "gte", "lt", "lte", "prefix", "exists"]);

/** The error for a malformed query. */
export function queryError(path: string, message: string): SyncpoolError {
  return new SyncpoolError("BAD_USER_INPUT", `query.${path}: ${message}`, { field: "query", reason: "bad-query", path });
}

/** The value at a split path, or undefined when some segment is absent or not an object. */
export function readPath(value: JsonObject, names: readonly string[]): JsonValue | undefined {
  let current: JsonValue | undefined = value;
  for (const name of names) {
    if (!isPlainObject(current) || !Object.prototype.hasOwnProperty.call(current, name)) return undefined;
    current = (current as JsonObject)[name];
  }
  return current;
}

function fieldNames(field: unknown, path: string): string[] {
  if (typeof field !== "string") throw queryError(path, "must be a dotted field path");
  try {
    return parseFieldPath(field, "query");
  } catch (error) {
    throw queryError(path, error instanceof Error ? error.message : String(error));
  }
}

function jsonOperand(operand: unknown, path: string): JsonValue {
  try {
    return normalizeJsonValue(operand, "", 0, undefined, "query");
  } catch {
    throw queryError(path, "must be a JSON value");
  }
}

function rangeOperand(operand: unknown, path: string): number | string {
  if ((typeof operand === "number" && Number.isFinite(operand)) || typeof operand === "string") return operand;
  throw queryError(path, "must be a finite number or a string");
}

function compileCondition(condition: Record<string, unknown>, path: string): Matcher {
  const names = fieldNames(condition.field, `${path}.field`);
  const tests: Array<(field: JsonValue | undefined) => boolean> = [];
  for (const operator of Object.keys(condition)) {
    if (operator === "field") continue;
    if (!CONDITION_OPERATORS.has(operator)) throw queryError(`${path}.${operator}`, "is not an operator (eq, in, gt, gte, lt, lte, prefix, exists)");
    const operand = condition[operator];
    const where = `${path}.${operator}`;
    if (operand === undefined) continue;
    switch (operator) {
      case "eq": {
        const expected = jsonOperand(operand, where);
        tests.push((field) => field !== undefined && jsonEquals(field, expected));
        break;
      }
      case "in": {
        if (!Array.isArray(operand)) throw queryError(where, "must be an array of JSON values");
        const options = operand.map((item, index) => jsonOperand(item, `${where}[${index}]`));
        tests.push((field) => field !== undefined && options.some((option) => jsonEquals(field, option)));
        break;
      }
      case "prefix": {
        if (typeof operand !== "string") throw queryError(where, "must be a string");
        tests.push((field) => typeof field === "string" && field.startsWith(operand));
        break;
      }
      case "exists": {
        if (typeof operand !== "boolean") throw queryError(where, "must be true or false");
        tests.push((field) => (field !== undefined) === operand);
        break;
      }
      default: {
        const bound = rangeOperand(operand, where);
        const holds = RANGE_TESTS[operator as RangeOperator];
        // Type bracketing: a bound only ever matches fields of its own type.
        tests.push((field) => typeof field === typeof bound && holds(compareJson(field, bound)));
      }
    }
  }
  if (tests.length === 0) throw queryError(path, "names no operator (eq, in, gt, gte, lt, lte, prefix, exists)");
  return (value) => {
    const field = readPath(value, names);
    return tests.every((test) => test(field));
  };
}

type RangeOperator = "gt" | "gte" | "lt" | "lte";
const RANGE_TESTS: Record<RangeOperator, (order: number) => boolean> = {
  gt: (order) => order > 0,
  gte: (order) => order >= 0,
  lt: (order) => order < 0,
  lte: (order) => order <= 0,
};

function compileWhere(where: unknown, path: string): Matcher {
  if (!isPlainObject(where)) throw queryError(path, "must be an object");
  for (const group of ["and", "or"] as const) {
    if (!(group in where)) continue;
    const parts = where[group];
    if (Object.keys(where).length !== 1) throw queryError(path, `${group} may not sit beside other fields`);
    if (!Array.isArray(parts)) throw queryError(`${path}.${group}`, "must be an array of filters");
    const matchers = parts.map((part, index) => compileWhere(part, `${path}.${group}[${index}]`));
    return group === "and"
      ? (value) => matchers.every((matcher) => matcher(value))
      : (value) => matchers.some((matcher) => matcher(value));
  }
  return compileCondition(where, path);
}

function compileOrder(orderBy: unknown): (a: QueryRow<JsonObject>, b: QueryRow<JsonObject>) => number {
  if (orderBy !== undefined && !Array.isArray(orderBy)) throw queryError("orderBy", "must be an array of { field, direction }");
  const keys = (orderBy ?? []).map((order: unknown, index: number) => {
    const path = `orderBy[${index}]`;
    if (!isPlainObject(order)) throw queryError(path, "must be { field, direction }");
    const direction = order.direction ?? "asc";
    if (direction !== "asc" && direction !== "desc") throw queryError(`${path}.direction`, 'must be "asc" or "desc"');
    return { names: fieldNames(order.field, `${path}.field`), sign: direction === "asc" ? 1 : -1 };
  });
  return (a, b) => {
    for (const { names, sign } of keys) {
      const order = compareJson(readPath(a.value, names), readPath(b.value, names));
      if (order !== 0) return sign * order;
    }
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  };
}

/** Checks `query` and compiles it; throws BAD_USER_INPUT (reason "bad-query") when malformed. */
export function compileQuery(query: Query = {}): CompiledQuery {
  if (!isPlainObject(query)) throw queryError("", "must be an object { where, orderBy, limit }");
  for (const name of Object.keys(query)) {
    if (name !== "where" && name !== "orderBy" && name !== "limit") throw queryError(name, "is not part of a query (where, orderBy, limit)");
  }
  const limit: unknown = query.limit ?? Infinity;
  if (limit !== Infinity && !(typeof limit === "number" && Number.isInteger(limit) && limit >= 0)) throw queryError("limit", "must be a whole number >= 0");
  return {
    matches: query.where === undefined ? () => true : compileWhere(query.where, "where"),
    compare: compileOrder(query.orderBy),
    limit: limit as number,
  };
}
