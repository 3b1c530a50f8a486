/**
 * The shape of a query over JSON records: a filter (`where`), an order (`orderBy`) and a `limit`.
 * Queries see only live JSON records; STRING and YDOC records have no fields to match on.
 */
import type { JsonObject, JsonValue } from "../json-value.js";

/** A scalar a range or prefix condition compares against. */
export type QueryScalar = number | string;

/**
 * A condition on one field, named by a dotted path (`"address.city"`). Every operator given must
 * hold. `eq` and `in` compare whole JSON values (objects by content); `gt`/`gte`/`lt`/`lte` hold
 * only for a field of the bound's own type (a number bound never matches a string); `prefix`
 * holds for a string field starting with it; `exists` tests presence (a null field exists).
 */
export interface FieldCondition {
  field: string;
  eq?: JsonValue;
  in?: JsonValue[];
  gt?: QueryScalar;
  gte?: QueryScalar;
  lt?: QueryScalar;
  lte?: QueryScalar;
  prefix?: string;
  exists?: boolean;
}

/** A filter: a field condition, or every (`and`) or some (`or`) of several filters. */
export type QueryWhere = FieldCondition | { and: QueryWhere[] } | { or: QueryWhere[] };

/** One sort key. Ties on every key are broken by record key, ascending. */
export interface QueryOrder {
  field: string;
  direction?: "asc" | "desc";
}

/** A query: no `where` matches every JSON record; no `orderBy` orders by record key. */
export interface Query {
  where?: QueryWhere;
  orderBy?: QueryOrder[];
  limit?: number;
}

/** A record as queries see it: its key and its decoded value. */
export interface QueryRow<V = JsonObject> {
  key: string;
  value: V;
}
