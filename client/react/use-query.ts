/**
 * `useQuery`: the rows of a dataset query, kept current. It relies only on the dataset having
 * `watchQuery(query)`, so it works with any dataset handle that offers queries.
 */
import type { Observable } from "../follow-identity.js";
import { useSyncClient } from "./syncpool-provider.js";
import { useObservable } from "./use-observable.js";

/** One row of a query's answer. */
export interface QueryRow<V> {
  key: string;
  value: V;
}

/** What `useQuery` needs of a dataset handle. */
export interface QueryableDataset<Q, V> {
  watchQuery(query: Q): Observable<Array<QueryRow<V>>>;
}

const NO_ROWS: never[] = [];

/**
 * The rows `query` selects from dataset `datasetName`; empty while signed out. The query is
 * compared by its JSON form, so an inline object literal does not restart it on every render.
 * @throws TypeError (during render) when the dataset handle cannot run queries.
 */
export function useQuery<V = unknown, Q = unknown>(datasetName: string, query: Q): Array<QueryRow<V>> {
  const client = useSyncClient();
  const queryKey = JSON.stringify(query ?? null);
  return useObservable(
    client,
    () => {
      const dataset = client.dataset(datasetName) as unknown as Partial<QueryableDataset<Q, V>>;
      if (typeof dataset.watchQuery !== "function") {
        throw new TypeError("syncpool/react: useQuery needs a client whose datasets offer watchQuery(query)");
      }
      return dataset.watchQuery(JSON.parse(queryKey) as Q);
    },
    NO_ROWS as Array<QueryRow<V>>,
    [datasetName, queryKey],
  );
}
