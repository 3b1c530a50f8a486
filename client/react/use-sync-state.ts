/**
 * `useSyncState`: what the sync loop is doing and whether the server was reachable, for a status
 * badge. Re-read on every change of the loop's state and on sign-in and sign-out.
 */
import { useCallback, useSyncExternalStore } from "react";
import type { ClientEventName } from "../events.js";
import type { SyncState } from "../sync/sync-loop.js";
import { useSyncClient } from "./syncpool-provider.js";

const EVENTS: ClientEventName[] = ["syncState", "signedIn", "signedOut"];

/** The sync loop's state (`stopped` when signed out). */
export function useSyncState(): SyncState {
  const client = useSyncClient();
  const subscribe = useCallback((onChange: () => void) => {
    const stops = EVENTS.map((event) => client.on(event, onChange));
    return () => stops.forEach((stop) => stop());
  }, [client]);
  return useSyncExternalStore(subscribe, () => client.syncState, () => "stopped" as SyncState);
}
