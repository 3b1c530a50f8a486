/**
 * `dataset.query()` and `dataset.watchQuery()`: the query is checked once, then run over the
 * local records. The watched form keeps its result and, when the dataset changes (local write or
 * applied pull), re-checks only the records whose stored text changed; it emits only when the
 * result changed.
 */
import type { JsonObject } from "../../core/json-value.js";
import { compileQuery, type Query, type QueryRow } from "../../core/query/index.js";
import type { SyncRecord } from "../../core/types.js";
import type { Observable } from "../follow-identity.js";
import { LiveQueryResult } from "./live-result.js";
import { queryRecords } from "./query-records.js";

/** What a query needs from the dataset's host. */
export interface QueryHost {
  liveRecords(dataset: string): Promise<SyncRecord[]>;
  observe<T>(read: () => Promise<T>, signedOut: T): Observable<T>;
}

/** Runs `query` once over the dataset's JSON records; throws BAD_USER_INPUT for a bad query. */
export async function queryDataset(host: QueryHost, dataset: string, query: Query): Promise<QueryRow<JsonObject>[]> {
  const compiled = compileQuery(query);
  return queryRecords(await host.liveRecords(dataset), compiled);
}

/**
 * An observable of `query`'s result (`[]` while signed out); the query is checked at once. Emitted
 * results are frozen and shared between emissions (a row that did not change is the same object
 * in the next result).
 */
export function watchDatasetQuery(host: QueryHost, dataset: string, query: Query): Observable<QueryRow<JsonObject>[]> {
  const compiled = compileQuery(query);
  // `update` turns the kept result into the one for the records given, whatever they were
  // before, so subscribers and identities may share it.
  const result = new LiveQueryResult(compiled);
  return host.observe(async () => result.update(await host.liveRecords(dataset)), []);
}
