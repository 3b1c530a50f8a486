/**
 * The browser primitives behind multi-tab sync, and the only code that touches `navigator.locks`
 * and `BroadcastChannel` (`tab-sync.ts` decides what to do with them). For one shared name:
 *
 * - a leader lock (`<name>:leader`), requested when a tab signs in and held until it signs out or
 *   closes; the browser then hands it to the next tab in line, so exactly one tab leads;
 * - a pass lock (`<name>:pass`), held for one sync pass, so passes of two tabs never overlap;
 * - a BroadcastChannel (`<name>`) for small messages between the tabs (never to the sender).
 *
 * Without Web Locks (old browsers, pages that are not a secure context) the tab holding the
 * database's lease leads instead (`lease-leader.ts`); passes are then not serialized across tabs,
 * but only the leader runs them in the background and the database still sends each write in one
 * push only (the in-flight batch and its mutation id are shared, see `store/push-store.ts`).
 * Without BroadcastChannel the tabs send no messages; a follower asks for a pass through the lease
 * row, and a wipe reaches the others as the deletion of the database itself.
 */
import type { LeaseStore } from "../store/lease.js";
import { DEFAULT_LEASE_MS, leadByLease, type LeaseLeader } from "./lease-leader.js";


/** A message between tabs of one identity. */
export type TabMessage =
  /** Records changed in the shared database (a local write, or a sync pass in that tab). */
  | { type: "records"; dataset: string; keys: string[] }
  /** A follower asks the leader for a pass over `dataset` (after a write: debounced). */
  | { type: "sync"; dataset: string; debounce: boolean }
  /** A client event to re-emit in the other tabs (payloads are plain data). */
  | { type: "event"; name: string; payload: unknown }
  /** The identity signed out in one tab: every tab lets go of its database. */
  | { type: "signedOut"; wiped: boolean };

/** The part of the Web Locks API used here (`navigator.locks`). */
export interface LocksLike {
  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<unknown>): Promise<unknown>;
}

/** The part of `BroadcastChannel` used here. */
export interface ChannelLike {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

/** Where the primitives come from: the browser's by default (see `platformTabs`), fakes in tests. */
export interface TabPlatform {
  locks?: LocksLike | undefined;
  BroadcastChannel?: (new (name: string) => ChannelLike) | undefined;
  /** The leader lease's length without Web Locks, ms. Default 10 s. */
  leaseMs?: number | undefined;
}

/** Without Web Locks: the database's lease, and the clock its expiry is read with. */
export interface LeaseAccess {
  store: LeaseStore;
  now(): number;
}

/** One tab's view of the others. */
export interface TabCoordinator {
  /** True while this tab leads (holds the leader lock, or without Web Locks the lease). */
  readonly isLeader: boolean;
  /** Runs `task` while no other tab runs one (at once without Web Locks). */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  /** Sends `message` to the other tabs. */
  post(message: TabMessage): void;
  /** Gives up leadership (the next tab in line takes it, or the lease is freed) and stops listening. */
  close(): void;
}

/** What a coordinator reports. Neither is called synchronously from `coordinateTabs`. */
export interface TabHandlers {
  /** This tab became the leader. */
  onLeader(): void;
  /** This tab led and no longer does (its lease expired while it was frozen, and another took it). */
  onFollower?(): void;
  onMessage(message: TabMessage): void;
}

/** The browser's primitives, or none (Node). */
export function platformTabs(): TabPlatform {
  const scope = globalThis as { navigator?: { locks?: LocksLike }; BroadcastChannel?: new (name: string) => ChannelLike };
  return { locks: scope.navigator?.locks, BroadcastChannel: scope.BroadcastChannel };
}

/** Runs `task` while no other tab runs one under the lock `name` (at once without Web Locks). */
export function acrossTabs<T>(name: string, platform: TabPlatform, task: () => Promise<T>): Promise<T> {
  return platform.locks ? (platform.locks.request(name, {}, task) as Promise<T>) : task();
}

/** Joins the tabs sharing `name` (see the module comment). */
export function coordinateTabs(name: string, platform: TabPlatform, handlers: TabHandlers, lease?: LeaseAccess): TabCoordinator {
  const { locks } = platform;
  const channel = platform.BroadcastChannel ? new platform.BroadcastChannel(name) : null;
  let closed = false;
  // Without Web Locks and without a lease (no shared database) the tab leads alone.
  let leader = !locks && !lease;
  let release: () => void = () => {};
  const abort = new AbortController();
  const leased: LeaseLeader | null =
    !locks && lease
      ? leadByLease({
          lease: lease.store,
          leaseMs: platform.leaseMs ?? DEFAULT_LEASE_MS,
          now: lease.now,
          onLeader: () => handlers.onLeader(),
          onFollower: () => handlers.onFollower?.(),
          onSyncWanted: () => handlers.onMessage({ type: "sync", dataset: "all", debounce: false }),
        })
      : null;
  // Without a channel, the deletion of the database is how a wipe in another tab shows.
  const stopDeleted =
    leased && lease && !channel
      ? lease.store.onDeleted(() => {
          if (!closed) handlers.onMessage({ type: "signedOut", wiped: true });
        })
      : () => {};

  if (channel) {
    channel.onmessage = (event) => {
      if (!closed && isTabMessage(event.data)) handlers.onMessage(event.data);
    };
  }
  if (locks) {
    const held = new Promise<void>((resolve) => (release = resolve));
    locks
      .request(`${name}:leader`, { signal: abort.signal }, async () => {
        if (closed) return;
        leader = true;
        handlers.onLeader();
        await held;
      })
      // Rejects with AbortError when the tab closes while still waiting in line.
      .catch(() => undefined);
  }

  return {
    get isLeader() {
      return (leased ? leased.isLeader : leader) && !closed;
    },
    exclusive<T>(task: () => Promise<T>): Promise<T> {
      return acrossTabs(`${name}:pass`, platform, task);
    },
    post(message) {
      if (closed) return;
      if (channel) channel.postMessage(message);
      else if (message.type === "sync") leased?.requestSync();
    },
    close() {
      if (closed) return;
      closed = true;
      abort.abort();
      release();
      leased?.close();
      stopDeleted();
      channel?.close();
    },
  };
}

/** Messages come from other tabs of the same origin; still, ignore anything of another shape. */
function isTabMessage(data: unknown): data is TabMessage {
  return typeof data === "object" && data !== null && typeof (data as { type?: unknown }).type === "string";
}
