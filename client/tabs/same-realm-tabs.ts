/**
 * Tab primitives for clients that share one IndexedDB inside one JavaScript realm: two
 * `createClient` in the same page or Node process given the same `indexedDB`. Without them each
 * client led sync on its own and one's sign-out with a wipe left the other writing to the
 * database being deleted. With them the clients coordinate exactly as tabs do (`tab-sync.ts`):
 * one leads, passes never overlap, and a wipe closes the others first.
 *
 * Locks and channels are scoped to the IndexedDB factory (a WeakMap key), so clients given
 * different factories (separate devices in tests) never see each other. Messages are delivered
 * asynchronously and never to the sender, as `BroadcastChannel` does.
 */
import type { ChannelLike, LocksLike, TabPlatform } from "./tab-coordinator.js";

interface Waiter {
  run(): void;
}

interface Scope {
  /** Per lock name: the holder first, then the waiters in request order. */
  locks: Map<string, Waiter[]>;
  channels: Map<string, Set<SameRealmChannel>>;
}

const scopes = new WeakMap<object, Scope>();

function scopeOf(factory: object): Scope {
  let scope = scopes.get(factory);
  if (!scope) {
    scope = { locks: new Map(), channels: new Map() };
    scopes.set(factory, scope);
  }
  return scope;
}

/** The tab platform shared by every client of `factory` in this realm. */
export function sameRealmTabs(factory: object): TabPlatform {
  const scope = scopeOf(factory);
  return {
    locks: sameRealmLocks(scope),
    BroadcastChannel: class extends SameRealmChannel {
      constructor(name: string) {
        super(scope, name);
      }
    },
  };
}

/** Exclusive locks by name, granted in request order (the part of Web Locks used here). */
function sameRealmLocks(scope: Scope): LocksLike {
  return {
    request(name, options, callback) {
      return new Promise((resolve, reject) => {
        const queue = scope.locks.get(name) ?? [];
        scope.locks.set(name, queue);
        const release = () => {
          queue.splice(queue.indexOf(waiter), 1);
          if (queue.length === 0) scope.locks.delete(name);
          else queue[0]?.run();
        };
        const waiter: Waiter = {
          run() {
            options.signal?.removeEventListener("abort", onAbort);
            Promise.resolve()
              .then(callback)
              .then(resolve, reject)
              .finally(release);
          },
        };
        // A request still waiting is withdrawn on abort; a held lock is released by its callback.
        const onAbort = () => {
          if (queue[0] === waiter) return;
          queue.splice(queue.indexOf(waiter), 1);
          reject(new DOMException("the lock request was aborted", "AbortError"));
        };
        if (options.signal?.aborted) return reject(new DOMException("the lock request was aborted", "AbortError"));
        options.signal?.addEventListener("abort", onAbort);
        queue.push(waiter);
        if (queue.length === 1) waiter.run();
      });
    },
  };
}

/** A channel to the other clients of the same factory and name. */
class SameRealmChannel implements ChannelLike {
  onmessage: ((event: MessageEvent) => void) | null = null;
  readonly #peers: Set<SameRealmChannel>;
  #closed = false;

  constructor(scope: Scope, name: string) {
    this.#peers = scope.channels.get(name) ?? new Set();
    scope.channels.set(name, this.#peers);
    this.#peers.add(this);
  }

  postMessage(message: unknown): void {
    if (this.#closed) return;
    const data = structuredClone(message);
    for (const peer of this.#peers) {
      if (peer === this) continue;
      setTimeout(() => {
        if (!peer.#closed) peer.onmessage?.({ data } as MessageEvent);
      }, 0);
    }
  }

  close(): void {
    this.#closed = true;
    this.#peers.delete(this);
  }
}
