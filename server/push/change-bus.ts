/**
 * The change bus: how a committed change reaches the live subscriptions of its identity, wherever
 * they are connected. `SyncDeps.onCommitted` publishes every committed change; each live
 * subscription listens for its caller's identity only.
 *
 * This file holds the contract and the in-process implementation (one server). Scale-out
 * implementations (PostgreSQL LISTEN/NOTIFY, Redis pub/sub; issue 7) implement the same interface
 * and are chosen in `server/create-server.ts`; nothing else changes.
 */
import type { CommittedChange } from "../sync/types.js";

/** Called with each change of the identity it listens to. Must not throw and must not block. */
export type ChangeListener = (change: CommittedChange) => void;

/**
 * A listener as an object, for what listens by the thousand (idle subscriptions): `hear` is one
 * shared method where a `ChangeListener` and the function that stops it are two closures each.
 */
export interface ChangeHearer {
  /** As a `ChangeListener`. */
  hear(change: CommittedChange): void;
}

/**
 * Publish/subscribe of committed changes, keyed by identity.
 *
 * Contract for implementations:
 * - `publish` never throws and never waits on subscribers: it runs after a push has committed,
 *   and the push has already succeeded.
 * - A listener receives only changes whose `identityId` is the one it subscribed with.
 * - A listener receives the changes of its identity in the order they were published, none twice.
 *   Publishing happens after each commit, so that is nearly always sync count order, but not
 *   promised; subscribers apply by sync count (see `docs/push.md`). Delivery is best effort: a
 *   listener may miss changes (a network partition, a restart), which is why every subscriber can
 *   resume from a sync count and pull.
 * - A listener subscribed before `publish` is called receives that change; one subscribed after
 *   it returns does not.
 */
export interface ChangeBus {
  /** Hands `change` to every listener of `change.identityId`. */
  publish(change: CommittedChange): void;
  /** Listens to one identity's changes until the returned function is called (idempotent). */
  subscribe(identityId: string, listener: ChangeListener): () => void;
  /** Listens to one identity's changes with `hearer` until `unlisten` (once per identity and hearer: a second `listen` of the same pair is ignored). */
  listen(identityId: string, hearer: ChangeHearer): void;
  /** Stops `listen(identityId, hearer)`; idempotent. */
  unlisten(identityId: string, hearer: ChangeHearer): void;
  /** Listeners currently subscribed, over all identities (for metrics and tests). */
  listenerCount(): number;
}

/**
 * A bus inside one process: a map from identity to its listeners. Correct for a single server
 * (SQLite, or one PostgreSQL-backed instance). A listener that throws is reported to `onError`
 * and does not keep the change from the others.
 */
export function createInProcessChangeBus(onError: (error: unknown) => void = () => undefined): ChangeBus {
  const hearers = new Map<string, Set<ChangeHearer>>();
  let count = 0;
  const listen = (identityId: string, hearer: ChangeHearer) => {
    let set = hearers.get(identityId);
    if (!set) hearers.set(identityId, (set = new Set()));
    if (set.has(hearer)) return;
    set.add(hearer);
    count++;
  };
  const unlisten = (identityId: string, hearer: ChangeHearer) => {
    const set = hearers.get(identityId);
    if (!set?.delete(hearer)) return;
    count--;
    if (set.size === 0) hearers.delete(identityId);
  };
  return {
    publish(change) {
      const set = hearers.get(change.identityId);
      if (!set) return;
      // A copy: a listener may unsubscribe (or subscribe another) while we iterate.
      for (const hearer of [...set]) {
        try {
          hearer.hear(change);
        } catch (error) {
          onError(error);
        }
      }
    },
    subscribe(identityId, listener) {
      // One entry per subscription, even when the same function subscribes twice.
      const hearer: ChangeHearer = { hear: listener };
      listen(identityId, hearer);
      return () => unlisten(identityId, hearer);
    },
    listen,
    unlisten,
    listenerCount: () => count,
  };
}
