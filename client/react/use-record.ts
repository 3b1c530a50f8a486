/**
 * `useRecord` and `useDataset`: one record, or a whole dataset, of the signed-in identity, kept
 * current as local writes and synced changes land. Values are strings for STRING records and
 * decoded objects for JSON records.
 */
import { datasetName, datasetOf, type DatasetRef } from "./dataset-ref.js";
import { useSyncClient } from "./syncpool-provider.js";
import { useObservable } from "./use-observable.js";

const NO_RECORDS: Record<string, never> = Object.freeze({}) as Record<string, never>;

/** The value of record `key` in `dataset` (a name or a typed handle); undefined when absent or signed out. */
export function useRecord<V = string>(dataset: DatasetRef<V>, key: string): V | undefined {
  const client = useSyncClient();
  return useObservable(client, () => datasetOf(client, dataset).observe(key), undefined, [datasetName(dataset), key]);
}

/** Every record of `dataset` (a name or a typed handle) as `{ key: value }`; empty when signed out. */
export function useDataset<V = string>(dataset: DatasetRef<V>): Record<string, V> {
  const client = useSyncClient();
  return useObservable(
    client,
    () => datasetOf(client, dataset).observeAll(),
    NO_RECORDS as Record<string, V>,
    [datasetName(dataset)],
  );
}
