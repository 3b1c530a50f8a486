/**
 * `useQuery`: the rows of a query over a dataset's JSON records (`dataset.watchQuery`), kept
 * current as local writes and synced changes land.
 */
import type { JsonObject } from "../../core/json-value.js";
import type { Query, QueryRow } from "../../core/query/index.js";
import type { Observable } from "../follow-identity.js";
import { datasetName, datasetOf, type DatasetRef } from "./dataset-ref.js";
import { useSyncClient } from "./syncpool-provider.js";
import { useObservable } from "./use-observable.js";

const NO_ROWS: never[] = [];

/**
 * The rows `query` (`where`, `orderBy`, `limit`) selects from `dataset` (a name or a typed
 * handle); empty while signed out. The query is compared by its JSON form, so an inline object
 * literal does not restart it on every render.
 * @throws SyncpoolError BAD_USER_INPUT (during render) when the query is malformed.
 */
export function useQuery<V = JsonObject>(dataset: DatasetRef<V>, query: Query = {}): Array<QueryRow<V>> {
  const client = useSyncClient();
  const queryKey = JSON.stringify(query);
  return useObservable(
    client,
    // Queries match JSON records only, so their rows hold the dataset's object values.
    () => datasetOf(client, dataset).watchQuery(JSON.parse(queryKey) as Query) as unknown as Observable<Array<QueryRow<V>>>,
    NO_ROWS as Array<QueryRow<V>>,
    [datasetName(dataset), queryKey],
  );
}
