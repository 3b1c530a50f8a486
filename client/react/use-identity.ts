/**
 * `useIdentity`: the identity signed in now, re-rendering on every sign-in and sign-out. The other
 * hooks use it to drop what they hold the moment the identity changes.
 */
import { useCallback, useSyncExternalStore } from "react";
import type { SyncClient } from "../sync-client.js";
import { useSyncClient } from "./syncpool-provider.js";

/** The signed-in identity's id, or null while nobody is signed in. */
export function useIdentity(): string | null {
  const client = useSyncClient();
  const subscribe = useCallback((onChange: () => void) => onIdentityChange(client, onChange), [client]);
  return useSyncExternalStore(subscribe, () => client.identityId, () => null);
}

/** Calls `onChange` after every sign-in and sign-out of `client`; returns the function that stops it. */
export function onIdentityChange(client: SyncClient, onChange: () => void): () => void {
  const stops = [client.on("signedIn", onChange), client.on("signedOut", onChange)];
  return () => stops.forEach((stop) => stop());
}
