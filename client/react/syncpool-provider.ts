/**
 * The React context that hands one `SyncClient` to every hook below it. Hooks never create or
 * close clients: the app owns its client (create it once, outside render) and passes it here.
 */
import { createContext, createElement, useContext, type ReactNode } from "react";
import type { SyncClient } from "../sync-client.js";

const ClientContext = createContext<SyncClient | null>(null);

/** Props of `SyncpoolProvider`. */
export interface SyncpoolProviderProps {
  /** The client every syncpool hook below this provider reads from. */
  client: SyncClient;
  children?: ReactNode;
}

/** Makes `client` available to `useRecord`, `useDataset`, `useQuery`, `useDoc`, `useSyncState` and `useIdentity`. */
export function SyncpoolProvider({ client, children }: SyncpoolProviderProps): ReactNode {
  return createElement(ClientContext.Provider, { value: client }, children);
}

/**
 * The client of the nearest `SyncpoolProvider`.
 * @throws Error when no provider is above the calling component (a wiring mistake, not bad input).
 */
export function useSyncClient(): SyncClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error("syncpool/react: wrap the component in <SyncpoolProvider client={client}>");
  return client;
}
