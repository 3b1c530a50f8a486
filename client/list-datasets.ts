/**
 * `client.datasets()`: the datasets this device holds, merged with those the server lists. The
 * server is asked when reachable; offline, the list is what this device holds.
 */
import type { Active } from "./active-identity.js";
import type { Session } from "./session.js";
import * as reads from "./store/read-records.js";
import { isNetworkError } from "./transport/network-error.js";
import type { RemoteDataset, Transport } from "./transport/transport.js";

/** A dataset as `client.datasets()` lists it: what this device holds, and what the server says. */
export interface DatasetSummary {
  name: string;
  /** Held on this device (written or pulled). */
  local: boolean;
  /** Live records and bytes on this device. */
  recordCount: number;
  sizeBytes: number;
  /** Local writes waiting for the server. */
  pendingCount: number;
  /** The server's description; undefined when the server lacks it or could not be asked. */
  remote?: RemoteDataset;
}

/**
 * Lists the datasets of the `active` identity, sorted by name.
 * @throws what the server answered, except a network failure (then the local list alone).
 */
export async function listDatasets(active: Active, session: Session, transport: Transport): Promise<DatasetSummary[]> {
  let remote: RemoteDataset[] = [];
  try {
    remote = await session.authed((token) => transport.datasets(token));
  } catch (error) {
    if (!isNetworkError(error)) throw error;
  }
  const metas = await reads.readDatasetMetas(active.db);
  const names = [...new Set([...metas.map((meta) => meta.dataset), ...remote.map((dataset) => dataset.name)])].sort();
  return Promise.all(
    names.map(async (name): Promise<DatasetSummary> => {
      const usage = await reads.readUsage(active.db, name);
      const server = remote.find((dataset) => dataset.name === name);
      return {
        name,
        local: metas.some((meta) => meta.dataset === name),
        ...usage,
        pendingCount: await reads.countPending(active.db, name),
        ...(server ? { remote: server } : {}),
      };
    }),
  );
}
