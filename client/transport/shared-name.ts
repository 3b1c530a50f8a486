/**
 * Where a shared dataset lives on the device: under the local name `shared/<name>`, apart from the
 * identity's own dataset of the same name. Everything below the transport (store, sync loop, tabs,
 * queries) works with local names; the transport turns a local name back into the server's name
 * plus `shared: true` (`graphql-transport.ts`, `subscription.ts`). `/` is not allowed in a
 * dataset name, so no own dataset can take a shared one's local name.
 */
import { assertDatasetName } from "../../core/limits.js";

/** The prefix of a shared dataset's local name. */
export const SHARED_PREFIX = "shared/";

/** The local name of shared dataset `name`. */
export function sharedLocalName(name: string): string {
  return SHARED_PREFIX + name;
}

/** The server's name of a local dataset name, and whether it is a shared dataset. */
export function serverName(local: string): { dataset: string; shared: boolean } {
  return local.startsWith(SHARED_PREFIX) ? { dataset: local.slice(SHARED_PREFIX.length), shared: true } : { dataset: local, shared: false };
}

/**
 * Throws BAD_USER_INPUT unless `local` is a valid dataset name or `shared/` and one.
 */
export function assertLocalDatasetName(local: string, field = "dataset"): void {
  assertDatasetName(serverName(local).dataset, field);
}
