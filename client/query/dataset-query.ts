/**
 * `dataset.query()` and `dataset.watchQuery()`: the query is checked once, then run over the
 * local records; the watched form re-runs when the dataset changes (local write or applied
 * pull) and emits only when the result differs from the last one it gave.
 */
import type { JsonObject } from "../../core/json-value.js";
import { compileQuery, type Query, type QueryRow } from "../../core/query/index.js";
import type { SyncRecord } from "../../core/types.js";
import type { Observable } from "../follow-identity.js";
import { DecodedRows, queryRecords } from "./query-records.js";

/** What a query needs from the dataset's host. */
export interface QueryHost {
  liveRecords(dataset: string): Promise<SyncRecord[]>;
  observe<T>(read: () => Promise<T>, signedOut: T): Observable<T>;
}

/** Runs `query` once over the dataset's JSON records; throws BAD_USER_INPUT for a bad query. */
export async function queryDataset(host: QueryHost, dataset: string, query: Query): Promise<QueryRow<JsonObject>[]> {
  const compiled = compileQuery(query);
  return queryRecords(new DecodedRows(), await host.liveRecords(dataset), compiled);
}

/** An observable of `query`'s result (`[]` while signed out); the query is checked at once. */
export function watchDatasetQuery(host: QueryHost, dataset: string, query: Query): Observable<QueryRow<JsonObject>[]> {
  const compiled = compileQuery(query);
  const decoded = new DecodedRows();
  return host.observe(async () => queryRecords(decoded, await host.liveRecords(dataset), compiled), []);
}
