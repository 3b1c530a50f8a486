/**
 * `useObservable`: a syncpool `Observable` read through `useSyncExternalStore`. The last value is
 * cached so `getSnapshot` returns the same object until a new one arrives, and every value is
 * tagged with the identity it was read for: after a sign-in as someone else the hook shows
 * `signedOut` until the new identity's value arrives, never the previous identity's data.
 */
import { useMemo, useSyncExternalStore } from "react";
import type { Observable } from "../follow-identity.js";
import type { SyncClient } from "../sync-client.js";
import { onIdentityChange } from "./use-identity.js";

/** An external store over one observable, as `useSyncExternalStore` wants it. */
interface ObservableStore<T> {
  subscribe(onChange: () => void): () => void;
  getSnapshot(): T;
}

/**
 * The current value of the observable `make()` returns (remade when `deps` change), or `signedOut`
 * while nothing for the signed-in identity has arrived yet.
 * @throws the observable's error, during render, so an error boundary can show it.
 */
export function useObservable<T>(client: SyncClient, make: () => Observable<T>, signedOut: T, deps: readonly unknown[]): T {
  // `deps` names everything `make` reads besides the client.
  const store = useMemo(() => observableStore(client, make(), signedOut), [client, ...deps]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

function observableStore<T>(client: SyncClient, observable: Observable<T>, signedOut: T): ObservableStore<T> {
  let latest: { identityId: string | null; value: T } | null = null;
  let failure: { error: unknown } | null = null;
  return {
    subscribe(onChange) {
      const stopIdentity = onIdentityChange(client, onChange);
      const subscription = observable.subscribe({
        next: (value) => {
          // The observable only delivers values of the identity signed in at that moment.
          latest = { identityId: client.identityId, value };
          failure = null;
          onChange();
        },
        error: (error) => {
          failure = { error };
          onChange();
        },
      });
      return () => {
        stopIdentity();
        subscription.unsubscribe();
      };
    },
    getSnapshot() {
      if (failure) throw failure.error;
      if (!latest || latest.identityId !== client.identityId) return signedOut;
      return latest.value;
    },
  };
}
