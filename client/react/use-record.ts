/**
 * `useRecord` and `useDataset`: one record, or a whole dataset, of the signed-in identity, kept
 * current as local writes and synced changes land.
 */
import type { SyncClient } from "../sync-client.js";
import { useSyncClient } from "./syncpool-provider.js";
import { useObservable } from "./use-observable.js";

const NO_RECORDS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** The value of record `key` in dataset `datasetName`; undefined when absent or signed out. */
export function useRecord(datasetName: string, key: string): string | undefined {
  const client: SyncClient = useSyncClient();
  return useObservable(client, () => client.dataset(datasetName).observe(key), undefined, [datasetName, key]);
}

/** Every record of dataset `datasetName` as `{ key: value }`; empty when signed out. */
export function useDataset(datasetName: string): Record<string, string> {
  const client = useSyncClient();
  return useObservable(client, () => client.dataset(datasetName).observeAll(), NO_RECORDS, [datasetName]);
}
