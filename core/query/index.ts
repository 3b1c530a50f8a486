/** Queries over JSON records: the query type, its checking and compiling, its order, running it. */
export type { FieldCondition, Query, QueryOrder, QueryRow, QueryScalar, QueryWhere } from "./query-types.js";
export { compileQuery, queryError, readPath, type CompiledQuery } from "./compile-query.js";
export { compareJson, jsonEquals } from "./compare-json.js";
export { runQuery } from "./run-query.js";
