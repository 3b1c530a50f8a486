/**
 * Multi-tab sync: what a tab does as leader or follower. Tabs of one browser that sign in as the
 * same identity share its database (`syncpool:<identityId>`); one of them leads sync.
 *
 * - The leader runs the background loop: the interval, debounced pushes after writes (its own and
 *   the followers'), `online`, push notifications, and it holds the live subscription (`onLead`).
 *   A follower's loop stays idle but for explicit `sync()` calls. When the leader goes, the next
 *   tab takes over and syncs everything at once.
 * - Every pass, in any tab, runs under the pass lock: a batch is acknowledged before another tab
 *   reads the outbox, so no outbox entry is pushed by two tabs.
 * - Followers see changes through IndexedDB: `watch`/`observe` (Dexie's liveQuery follows other
 *   tabs by itself); bound documents reload the records another tab reports as changed.
 * - Sync events (`syncStart`, `syncProgress`, `syncDone`, `online`, ...) are re-emitted in every
 *   tab, so each tab's UI shows the sync state.
 *
 * Without `platform` (the client was given its own IndexedDB: Node, tests) the tab leads alone and
 * nothing is sent: the behaviour of a single client.
 */
import type { ClientEventName, ClientEvents, Emitter } from "../events.js";
import type { SyncLoop } from "../sync/sync-loop.js";
import { coordinateTabs, type LeaseAccess, type TabCoordinator, type TabMessage, type TabPlatform } from "./tab-coordinator.js";

/** Events re-emitted in the other tabs (their payloads are plain data). */
const RELAYED_EVENTS = [
  "syncStart",
  "syncProgress",
  "syncDone",
  "datasetDeleted",
  "datasetsMerged",
  "online",
  "offline",
] as const satisfies readonly ClientEventName[];

export interface TabSyncOptions {
  /** The identity database's name; the locks and the channel are named after it. */
  name: string;
  loop: SyncLoop;
  emitter: Emitter;
  autoSync: boolean;
  /** The browser's tab primitives; null when tabs do not share the database. */
  platform: TabPlatform | null;
  /** Another tab changed these records in the shared database (bound docs reload them). */
  onRecordsChanged(dataset: string, keys: readonly string[]): void;
  /** Another tab signed this identity out. */
  onSignedOut(wiped: boolean): void;
  /** This tab began leading sync (at once without tabs): it opens the live subscription. */
  onLead?(): void;
  /** This tab stopped leading (a lost lease): it closes the live subscription. */
  onFollow?(): void;
  /** The database's leader lease, used where the platform has no Web Locks. */
  lease?: LeaseAccess;
}

/** One tab's part in syncing an identity (see the module comment). */
export class TabSync {
  readonly #options: TabSyncOptions;
  #coordinator: TabCoordinator | null = null;
  #online = true;
  #replaying = false;
  #stopRelay: () => void = () => {};
  /** Tasks of this tab run one at a time (the pass lock serializes them across tabs). */
  #exclusiveChain: Promise<unknown> = Promise.resolve();

  constructor(options: TabSyncOptions) {
    this.#options = options;
  }

  /** Starts the loop and joins the other tabs; the leader (at once without tabs) syncs everything. */
  start(): void {
    const { loop, platform, name } = this.#options;
    loop.start({ syncNow: false, interval: false });
    if (platform) {
      this.#coordinator = coordinateTabs(
        name,
        platform,
        {
          onLeader: () => this.#lead(),
          onFollower: () => this.#follow(),
          onMessage: (message) => this.#receive(message),
        },
        this.#options.lease,
      );
      this.#stopRelay = this.#relayEvents();
    }
    if (this.isLeader) this.#lead();
  }

  /** True when this tab runs the background sync. */
  get isLeader(): boolean {
    return this.#coordinator?.isLeader ?? true;
  }

  /** Runs one sync pass (or live change) while no other one runs, in this tab or another. */
  exclusive<T>(pass: () => Promise<T>): Promise<T> {
    const run = this.#exclusiveChain.then(() => (this.#coordinator ? this.#coordinator.exclusive(pass) : pass()));
    this.#exclusiveChain = run.catch(() => undefined);
    return run;
  }

  /** This tab stored writes to `keys` (none: a dataset delete): the other tabs hear, the leader syncs. */
  wrote(dataset: string, keys: string[], options: { debounce: boolean }): void {
    this.synced(dataset, keys);
    if (this.#options.autoSync) this.#request(dataset, options.debounce);
  }

  /** A pass in this tab changed `keys` in the shared database. */
  synced(dataset: string, keys: string[]): void {
    if (keys.length > 0) this.#coordinator?.post({ type: "records", dataset, keys });
  }

  /** The server changed `dataset` (a push notification): the leader pulls. */
  remoteChanged(dataset: string): void {
    this.#request(dataset, false);
  }

  /** The platform's network state; the leader's loop acts on it. */
  setOnline(online: boolean): void {
    this.#online = online;
    if (this.isLeader) this.#options.loop.setOnline(online);
  }

  /** This tab signs the identity out: the other tabs let go of the database too. */
  signedOut(wiped: boolean): void {
    this.#coordinator?.post({ type: "signedOut", wiped });
  }

  /** Leaves the group (the next tab leads). The caller stops the loop. */
  close(): void {
    this.#stopRelay();
    this.#coordinator?.close();
  }

  #lead(): void {
    const { loop, autoSync } = this.#options;
    loop.startInterval();
    loop.setOnline(this.#online);
    // A new leader may inherit writes the old one never pushed.
    if (autoSync) loop.request("all");
    this.#options.onLead?.();
  }

  #follow(): void {
    this.#options.loop.stopInterval();
    this.#options.onFollow?.();
  }

  #request(dataset: string, debounce: boolean): void {
    if (this.isLeader) this.#options.loop.request(dataset, { debounce });
    else this.#coordinator?.post({ type: "sync", dataset, debounce });
  }

  #receive(message: TabMessage): void {
    switch (message.type) {
      case "records":
        this.#options.onRecordsChanged(message.dataset, message.keys);
        return;
      case "sync":
        if (this.isLeader) this.#options.loop.request(message.dataset, { debounce: message.debounce });
        return;
      case "event":
        if (!(RELAYED_EVENTS as readonly string[]).includes(message.name)) return;
        this.#replaying = true;
        try {
          this.#options.emitter.emit(message.name as ClientEventName, message.payload as ClientEvents[ClientEventName]);
        } finally {
          this.#replaying = false;
        }
        return;
      case "signedOut":
        this.#options.onSignedOut(message.wiped);
        return;
    }
  }

  /** Forwards this tab's sync events to the others; not the ones it replays (no echo). */
  #relayEvents(): () => void {
    const stops = RELAYED_EVENTS.map((name) =>
      this.#options.emitter.on(name, (payload) => {
        if (!this.#replaying) this.#coordinator?.post({ type: "event", name, payload });
      }),
    );
    return () => stops.forEach((stop) => stop());
  }
}
