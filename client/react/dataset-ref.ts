/**
 * How a hook names its dataset: by name (values typed by the hook's type argument) or by a handle
 * from `client.dataset(name, { schema })` (values typed by the schema). Hooks key their
 * subscriptions on the name alone, so a handle made afresh on every render does not restart them.
 */
import type { Dataset } from "../dataset.js";
import type { SyncClient } from "../sync-client.js";

/** A dataset name, or a dataset handle whose value type the hook takes over. */
export type DatasetRef<V> = string | Dataset<V>;

/** The handle `ref` names, on `client` when `ref` is a name. */
export function datasetOf<V>(client: SyncClient, ref: DatasetRef<V>): Dataset<V> {
  return typeof ref === "string" ? client.dataset<V>(ref) : ref;
}

/** The dataset name `ref` stands for. */
export function datasetName<V>(ref: DatasetRef<V>): string {
  return typeof ref === "string" ? ref : ref.name;
}
