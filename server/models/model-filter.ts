/**
 * AppSync filters and conditions on an item: `{ and: [...], or: [...], not: {...}, <field>:
 * { eq, ne, lt, le, gt, ge, between, beginsWith, contains, notContains, attributeExists, in,
 * notIn, size } }`, as DataStore builds them from predicates (`syncExpression`s for `syncMs`,
 * `DataStore.save(item, predicate)` for mutation conditions). Fields are ANDed.
 */
import { isDeepStrictEqual } from "node:util";

/** A filter as it arrives: plain data, already shaped by the GraphQL input types. */
export type ModelFilter = Record<string, unknown>;

/** True when `item` matches `filter`; a null filter matches everything. */
export function matchesFilter(item: Record<string, unknown>, filter: ModelFilter | null | undefined): boolean {
  if (filter === null || filter === undefined) return true;
  return Object.entries(filter).every(([name, condition]) => {
    if (condition === null || condition === undefined) return true;
    if (name === "and") return (condition as ModelFilter[]).every((part) => matchesFilter(item, part));
    if (name === "or") return (condition as ModelFilter[]).some((part) => matchesFilter(item, part));
    if (name === "not") return !matchesFilter(item, condition as ModelFilter);
    return matchesField(item[name], condition as Record<string, unknown>);
  });
}

function matchesField(value: unknown, condition: Record<string, unknown>): boolean {
  return Object.entries(condition).every(([operator, operand]) => {
    if (operand === null || operand === undefined) return true;
    switch (operator) {
      case "eq":
        return isDeepStrictEqual(value ?? null, operand);
      case "ne":
        return !isDeepStrictEqual(value ?? null, operand);
      case "lt":
        return compare(value, operand) < 0;
      case "le":
        return compare(value, operand) <= 0;
      case "gt":
        return compare(value, operand) > 0;
      case "ge":
        return compare(value, operand) >= 0;
      case "between": {
        const [low, high] = operand as unknown[];
        return compare(value, low) >= 0 && compare(value, high) <= 0;
      }
      case "beginsWith":
        return typeof value === "string" && value.startsWith(String(operand));
      case "contains":
        return contains(value, operand);
      case "notContains":
        return !contains(value, operand);
      case "attributeExists":
        return (value !== undefined && value !== null) === operand;
      case "in":
        return (operand as unknown[]).some((candidate) => isDeepStrictEqual(value, candidate));
      case "notIn":
        return !(operand as unknown[]).some((candidate) => isDeepStrictEqual(value, candidate));
      case "size":
        return matchesField(typeof value === "string" || Array.isArray(value) ? value.length : undefined, operand as Record<string, unknown>);
      default:
        // attributeType: DynamoDB's storage types have no counterpart here; it does not narrow.
        return true;
    }
  });
}

/** Orders comparable values; anything else (a missing value, mixed types) fails every comparison. */
function compare(value: unknown, operand: unknown): number {
  if (typeof value === "number" && typeof operand === "number") return value - operand;
  if (typeof value === "string" && typeof operand === "string") return value < operand ? -1 : value > operand ? 1 : 0;
  return Number.NaN;
}

function contains(value: unknown, operand: unknown): boolean {
  if (typeof value === "string") return value.includes(String(operand));
  if (Array.isArray(value)) return value.some((element) => isDeepStrictEqual(element, operand));
  return false;
}
