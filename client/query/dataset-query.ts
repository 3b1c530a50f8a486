/**
 * `dataset.query()` and `dataset.watchQuery()`: the query is checked once, then run over the
 * dataset's rows in the identity's record cache (`store/record-cache.ts`), which reads and decodes
 * only what changed since. The watched form keeps its result and, when the cache reports changed
 * keys, re-checks only those records; it emits only when the result changed.
 */
import type { JsonObject } from "../../core/json-value.js";
import { compileQuery, type Query, type QueryRow } from "../../core/query/index.js";
import type { LiveQuery, Observable } from "../follow-identity.js";
import type { RecordCache } from "../store/record-cache.js";
import { LiveQueryResult } from "./live-result.js";
import { queryRows } from "./query-records.js";

/** What a query needs from the dataset's host. */
export interface QueryHost {
  /** The signed-in identity's record cache; throws UNAUTHENTICATED while nobody is signed in. */
  recordCache(): RecordCache;
  /** An observable of `watch` run against the cache of whichever identity is signed in. */
  followCache<T>(watch: (cache: RecordCache) => ReturnType<LiveQuery<T>>, signedOut: T): Observable<T>;
}

/** Runs `query` once over the dataset's JSON records; throws BAD_USER_INPUT for a bad query. */
export async function queryDataset(host: QueryHost, dataset: string, query: Query): Promise<QueryRow<JsonObject>[]> {
  const compiled = compileQuery(query);
  return queryRows(await host.recordCache().rows(dataset), compiled);
}

/**
 * An observable of `query`'s result (`[]` while signed out); the query is checked at once. Emitted
 * results are frozen and shared between emissions (a row that did not change is the same object
 * in the next result).
 */
export function watchDatasetQuery(host: QueryHost, dataset: string, query: Query): Observable<QueryRow<JsonObject>[]> {
  const compiled = compileQuery(query);
  return host.followCache<QueryRow<JsonObject>[]>(
    (cache) => ({
      subscribe(observer) {
        // One kept result per subscription and identity: the cache tells it which keys changed.
        const result = new LiveQueryResult(compiled);
        const stop = cache.watch(dataset, {
          next: (rows, changed) => observer.next?.(result.update(rows, changed)),
          error: (error) => observer.error?.(error),
        });
        return { unsubscribe: stop };
      },
    }),
    [],
  );
}
