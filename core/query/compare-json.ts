/**
 * The total order queries sort by, across types: absent < null < false < true < numbers <
 * strings (code-unit order) < arrays (element by element, then length) < objects (field by
 * field in name order: name, then value; then field count). The same on every replica, whatever its locale.
 */
import { compareCodeUnits, type JsonObject, type JsonValue } from "../json-value.js";

function typeRank(value: JsonValue | undefined): number {
  if (value === undefined) return 0;
  if (value === null) return 1;
  switch (typeof value) {
    case "boolean":
      return 2;
    case "number":
      return 3;
    case "string":
      return 4;
    default:
      return Array.isArray(value) ? 5 : 6;
  }
}

/** Negative, zero or positive as `a` sorts before, with or after `b`; `undefined` is an absent field. */
export function compareJson(a: JsonValue | undefined, b: JsonValue | undefined): number {
  const rankA = typeRank(a);
  const rankB = typeRank(b);
  if (rankA !== rankB) return rankA - rankB;
  switch (rankA) {
    case 0:
    case 1:
      return 0;
    case 2:
      return Number(a) - Number(b);
    case 3:
      return (a as number) - (b as number);
    case 4:
      return compareCodeUnits(a as string, b as string);
    case 5: {
      const left = a as JsonValue[];
      const right = b as JsonValue[];
      for (let index = 0; index < Math.min(left.length, right.length); index++) {
        const order = compareJson(left[index], right[index]);
        if (order !== 0) return order;
      }
      return left.length - right.length;
    }
    default:
      return compareObjects(a as JsonObject, b as JsonObject);
  }
}

// Objects compare as their (name, value) fields in name order, like arrays of pairs.
function compareObjects(a: JsonObject, b: JsonObject): number {
  const left = Object.keys(a).sort(compareCodeUnits);
  const right = Object.keys(b).sort(compareCodeUnits);
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    const order = compareCodeUnits(left[index]!, right[index]!) || compareJson(a[left[index]!], b[right[index]!]);
    if (order !== 0) return order;
  }
  return left.length - right.length;
}

/** True when `a` and `b` hold the same JSON value (objects compared by content). */
export function jsonEquals(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return compareJson(a, b) === 0;
}
