/**
 * `SyncClient`: the client's ORCHESTRATOR. It wires the parts together and holds no rules of its
 * own: sign-in (`session.ts`), the signed-in identity's parts (`active-identity.ts`: its database
 * in `store/`, the sync loop in `sync/sync-loop.ts` deciding when, `sync/run-pass.ts` and
 * `sync/sync-dataset.ts` deciding what, live changes in `sync/live-changes.ts`, the tabs sharing
 * the database in a browser in `tabs/`, bound documents in `doc/`), and the transport
 * (`transport/`, with the live subscription in `transport/subscription.ts`).
 */
import { SyncpoolError } from "../core/errors.js";
import { assertDatasetName, DEFAULT_LIMITS } from "../core/limits.js";
import type { ConflictStrategy, Limits, PatchOp, RecordKind } from "../core/types.js";
import { activateIdentity, deactivateIdentity, writeManyTo, writeTo, type Active } from "./active-identity.js";
import type { DatasetOptions } from "./typed-value.js";
import { Dataset, type DatasetHost, type DatasetUsage } from "./dataset.js";
import { Emitter, type ClientEventName, type Listener } from "./events.js";
import { followIdentity, IdentitySignal } from "./follow-identity.js";
import { finishGuestMerge, pushBeforeMerge } from "./guest-merge.js";
import type { ClientOptions } from "./options.js";
import { discardPendingWrites, listPendingWrites } from "./pending-writes.js";
import { Session, type SignInOptions, type SignInResult } from "./session.js";
import { deleteDatasetLocally, saveConflictStrategy } from "./store/dataset-store.js";
import { DeviceStore } from "./store/device-db.js";
import { deleteIdentityDb, type IndexedDbDependencies } from "./store/identity-db.js";
import { toSyncRecord } from "./store/record-state.js";
import * as reads from "./store/read-records.js";
import type { ConflictHandler } from "./sync/resolve-conflicts.js";
import type { SyncState } from "./sync/sync-loop.js";
import { sameRealmTabs } from "./tabs/same-realm-tabs.js";
import { acrossTabs, platformTabs, type TabPlatform } from "./tabs/tab-coordinator.js";
import { createGraphqlTransport } from "./transport/graphql-transport.js";
import { isNetworkError } from "./transport/network-error.js";
import { sharedLocalName } from "./transport/shared-name.js";
import { platformWebSocket, type WebSocketConstructor } from "./transport/subscription.js";
import { listenToPlatform, trackConnectivity } from "./transport/track-connectivity.js";
import type { RemoteDataset, Transport } from "./transport/transport.js";
import { encodeTransferCode } from "./transfer-code.js";
import { WriteBatch, type WriteTransaction } from "./write-batch.js";

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

/** Creates a client. Nothing touches the network or IndexedDB until `signIn()`. */
export function createClient(options: ClientOptions): SyncClient {
  return new SyncClient(options);
}

export class SyncClient {
  readonly #options: ClientOptions;
  readonly #emitter = new Emitter();
  readonly #deps: IndexedDbDependencies;
  readonly #devices: DeviceStore;
  readonly #transport: Transport;
  readonly #session: Session;
  readonly #limits: Limits;
  readonly #now: () => number;
  readonly #handlers = new Map<string, ConflictHandler>();
  /** Local names of the shared datasets the app opened: each identity signing in pulls them. */
  readonly #sharedNames = new Set<string>();
  /**
   * How clients sharing the database coordinate: the browser's tab primitives for its own
   * IndexedDB; for an injected one, in-realm primitives shared by every client of that factory.
   */
  readonly #tabPlatform: TabPlatform;
  /** The WebSocket for live updates; null when they are off. */
  readonly #webSocket: WebSocketConstructor | null;
  #deviceId: string | null = null;
  #active: Active | null = null;
  /** Announces every change of `#active`, so watchers follow the identity signed in. */
  readonly #identity = new IdentitySignal<Active>();
  #signingIn: Promise<unknown> = Promise.resolve();
  /** What the platform or the app (`setOnline`) last said; an identity signing in starts with it. */
  #online = true;
  /** The last `online`/`offline` event emitted. */
  #announced = true;
  readonly #removePlatformListeners: () => void;

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#deps = {
      ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
      ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
    };
    this.#devices = new DeviceStore(options.identityPoolId, this.#deps);
    this.#tabPlatform = options.tabs ?? (options.indexedDB ? sameRealmTabs(options.indexedDB) : platformTabs());
    const webSocket = options.WebSocket ?? platformWebSocket() ?? null;
    if (options.live === true && !webSocket) {
      throw new SyncpoolError("BAD_USER_INPUT", "live: true needs a WebSocket (pass the `ws` package in Node)", { field: "WebSocket" });
    }
    this.#webSocket = (options.live ?? options.autoSync ?? true) ? webSocket : null;
    const transport =
      options.transport ??
      createGraphqlTransport({
        endpoint: options.endpoint,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      });
    this.#transport = trackConnectivity(transport, (online) => this.#announce(online));
    this.#session = new Session({
      identityPoolId: options.identityPoolId,
      transport: this.#transport,
      devices: this.#devices,
      now: this.#now,
      ...(options.logins ? { logins: options.logins } : {}),
      onLimits: (limits) => this.#learnLimits(limits),
    });
    this.#removePlatformListeners = listenToPlatform((online) => this.setOnline(online));
  }

  /**
   * Tells the client whether the network is up, where the platform has no `online`/`offline`
   * events (React Native's NetInfo, Electron's main process, Node): offline, timers stop starting
   * passes; online, it syncs everything and reconnects live updates at once. Browsers call it by
   * themselves. Emits `online` or `offline`.
   */
  setOnline(online: boolean): void {
    if (online === this.#online) return;
    this.#online = online;
    this.#active?.tabs.setOnline(online);
    if (online) this.#active?.subscription?.wake();
    this.#announce(online);
  }

  /** Emits `online`/`offline` on a change only: the platform, the app and the transport all report. */
  #announce(online: boolean): void {
    if (online === this.#announced) return;
    this.#announced = online;
    this.#emitter.emit(online ? "online" : "offline", {});
  }

  /** This device's id (after the first `signIn`). */
  get deviceId(): string | null {
    return this.#deviceId;
  }

  /** The identity signed in, or null. */
  get identityId(): string | null {
    return this.#active?.identityId ?? null;
  }

  /** The sync loop's state (`stopped` when signed out). */
  get syncState(): SyncState {
    return this.#active?.loop.state ?? "stopped";
  }

  /** True when this tab runs the background sync (always, outside browsers); false when signed out. */
  get leadsSync(): boolean {
    return this.#active?.tabs.isLeader ?? false;
  }

  /**
   * A code that signs this guest in on another device (`signIn({ transferCode })`). It is a
   * bearer credential: anyone holding it can act as this guest. Show it only to its owner.
   * @throws SyncpoolError UNAUTHENTICATED when signed out, FORBIDDEN for an identity from logins
   *   (sign in with the login on the other device instead).
   */
  transferCode(): string {
    this.#require();
    const identity = this.#session.identity;
    if (!identity || identity.viaLogins || !identity.deviceSecret) {
      throw new SyncpoolError("FORBIDDEN", "only a guest has a transfer code; sign in with the same login on the other device");
    }
    return encodeTransferCode(identity.identityId, identity.deviceSecret);
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends ClientEventName>(event: E, listener: Listener<E>): () => void {
    return this.#emitter.on(event, listener);
  }

  /**
   * Signs in: with no argument as the identity stored on this device (offline too) or a new guest;
   * with `logins` as the identity they belong to; with `{identityId, deviceSecret}` (as another
   * device's `signIn()` returned them) or `{transferCode}` as a guest created on another device. Opens that identity's database and starts syncing.
   */
  signIn(options: SignInOptions = {}): Promise<SignInResult> {
    // One tab at a time, so two tabs opened at once on a new device do not create two guests.
    const deviceLock = `syncpool:device:${this.#options.identityPoolId}`;
    const run = this.#signingIn.then(() =>
      this.#tabPlatform ? acrossTabs(deviceLock, this.#tabPlatform, () => this.#signIn(options)) : this.#signIn(options),
    );
    this.#signingIn = run.catch(() => undefined);
    return run;
  }

  /**
   * Signs out: stops syncing and closes the database; `wipe` deletes it and forgets the guest.
   * Other tabs of this browser signed in as the same identity sign out with it.
   */
  async signOut(options: { wipe?: boolean } = {}): Promise<void> {
    const wiped = Boolean(options.wipe);
    const active = this.#active;
    // Saves of doc edits go through the active identity: flush them before letting it go.
    if (active && !wiped) await active.docs.flushed().catch(() => undefined);
    this.#setActive(null);
    if (active) {
      // Other tabs close the database first, or they would re-open (re-create) it after the wipe.
      active.tabs.signedOut(wiped);
      this.#deactivate(active);
      if (wiped) await deleteIdentityDb(active.identityId, this.#deps);
    }
    await this.#session.signOut(wiped);
    if (active) this.#emitter.emit("signedOut", { wiped });
  }

  /** Pushes every outbox and pulls every dataset to its latest count; rejects with the failure. */
  async sync(): Promise<void> {
    const active = this.#require();
    await active.docs.flushed();
    return active.loop.sync("all");
  }

  /**
   * Runs `fn`, collecting the writes it makes through `tx`, then stores them all in ONE local
   * transaction (all or none; limits checked once per dataset). If `fn` throws, nothing is
   * stored. Reads inside `fn` see the data as it was before. Resolves to `fn`'s result.
   */
  async transaction<T>(fn: (tx: WriteTransaction) => T | Promise<T>): Promise<T> {
    const batch = new WriteBatch();
    const result = await fn(batch);
    await writeManyTo(this.#require(), batch.writes);
    return result;
  }

  /**
   * A handle on the dataset `name` (it exists once written to or pulled). With `{ schema }` (any
   * Standard Schema validator) values are validated on write and typed by the schema's output.
   */
  dataset<V = string>(name: string, options: DatasetOptions<V> = {}): Dataset<V> {
    return new Dataset<V>(this.#host, name, options);
  }

  /**
   * A handle on the pool's shared dataset `name` (the pool's `sharedDatasets`), typed like
   * `dataset`. It is stored on this device as `shared/<name>` (its `name`), apart from the
   * identity's own dataset of that name, and synced and updated live like one; the first handle on
   * a name asks for a pull. Reading and writing need the pool's `read`/`write` for this identity:
   * a refusal is a `syncError` (FORBIDDEN, `reason: SHARED_DENIED`) and nothing is stored.
   */
  sharedDataset<V = string>(name: string, options: DatasetOptions<V> = {}): Dataset<V> {
    assertDatasetName(name, "name");
    const local = sharedLocalName(name);
    if (!this.#sharedNames.has(local)) {
      this.#sharedNames.add(local);
      this.#active?.tabs.remoteChanged(local);
    }
    return new Dataset<V>(this.#host, local, options);
  }

  /** The datasets on this device and, when reachable, on the server. */
  async datasets(): Promise<DatasetSummary[]> {
    const active = this.#require();
    let remote: RemoteDataset[] = [];
    try {
      remote = await this.#session.authed((token) => this.#transport.datasets(token));
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

  /**
   * Tells the client that `dataset` changed on the server (a push notification): it pulls now.
   * Notifications are hints; a missed one is caught up by the next sync.
   */
  notifyRemoteChange(dataset: string): void {
    this.#active?.tabs.remoteChanged(dataset);
  }

  /** Stops syncing and closes the databases without signing out (an app shutting down). */
  async close(): Promise<void> {
    const active = this.#active;
    // Saves of doc edits go through the active identity: flush them before letting it go.
    if (active) await active.docs.flushed().catch(() => undefined);
    this.#setActive(null);
    if (active) this.#deactivate(active);
    this.#removePlatformListeners();
    this.#devices.close();
  }

  async #signIn(options: SignInOptions): Promise<SignInResult> {
    const device = await this.#devices.load(() => globalThis.crypto.randomUUID(), this.#options.deviceId);
    this.#deviceId = device.deviceId;
    const previous = this.#active;
    // Signing in with a login may merge the guest into another identity: its pending writes go
    // to the server first, so the merge carries them.
    if (options.logins && previous) await pushBeforeMerge(previous);
    const result = await this.#session.signIn(options);
    if (this.#active?.identityId === result.identityId) return result;
    if (this.#active) this.#deactivate(this.#active);
    const active = await this.#activate(result.identityId, device.deviceId);
    this.#setActive(active);
    if (!this.#online) active.tabs.setOnline(false);
    if (previous && result.mergedIdentityIds.includes(previous.identityId)) {
      await finishGuestMerge(previous.identityId, result.mergedIdentityIds, { indexedDb: this.#deps, emitter: this.#emitter });
    }
    return result;
  }

  /**
   * The pool's limits, from a sign-in answer. Local writes are checked against them from now on
   * (the object is shared with the write path, so it is updated in place); a limit the app set
   * lower in `options.limits` stays, so an app may be stricter than its server, never looser.
   */
  #learnLimits(server: Limits): void {
    const own: Partial<Limits> = this.#options.limits ?? {};
    for (const name of Object.keys(this.#limits) as (keyof Limits)[]) {
      const value = server[name];
      if (typeof value !== "number") continue;
      this.#limits[name] = Math.min(value, own[name] ?? Number.POSITIVE_INFINITY);
    }
  }

  #activate(identityId: string, deviceId: string): Promise<Active> {
    return activateIdentity({
      identityId,
      deviceId,
      options: this.#options,
      indexedDb: this.#deps,
      transport: this.#transport,
      session: this.#session,
      emitter: this.#emitter,
      limits: this.#limits,
      now: this.#now,
      conflictHandler: (dataset) => this.#handlers.get(dataset) ?? this.#options.onConflict,
      tabPlatform: this.#tabPlatform,
      webSocket: this.#webSocket,
      // Nothing awaits this: a failure (the device database closed meanwhile) is reported, never left unhandled.
      onSignedOutElsewhere: (active, wiped) =>
        void this.#signedOutElsewhere(active, wiped).catch((error: unknown) => this.#emitter.emit("syncError", { error })),
    });
  }

  #setActive(active: Active | null): void {
    this.#active = active;
    this.#identity.set(active);
    if (active) for (const name of this.#sharedNames) active.tabs.remoteChanged(name);
    if (active) this.#emitter.emit("signedIn", { identityId: active.identityId });
  }

  #deactivate(active: Active): void {
    deactivateIdentity(active);
  }

  /** Another tab signed this identity out: let go of the database the same way. */
  async #signedOutElsewhere(active: Active, wiped: boolean): Promise<void> {
    if (!wiped) await active.docs.flushed().catch(() => undefined);
    if (this.#active !== active) return;
    this.#setActive(null);
    this.#deactivate(active);
    await this.#session.signOut(false);
    this.#emitter.emit("signedOut", { wiped });
  }

  #require(): Active {
    if (!this.#active) throw new SyncpoolError("UNAUTHENTICATED", "not signed in: call signIn() first");
    return this.#active;
  }

  /** What `Dataset` handles call; each call acts on the identity signed in at that moment. */
  readonly #host: DatasetHost = {
    write: (dataset: string, key: string, op: PatchOp, value: string | null, kind: RecordKind) =>
      writeTo(this.#require(), { dataset, key, op, value, kind }),
    writeMany: (writes) => writeManyTo(this.#require(), writes),
    record: async (dataset, key) => {
      const record = await reads.readRecord(this.#require().db, dataset, key);
      return record ? toSyncRecord(record) : undefined;
    },
    liveRecords: async (dataset) => (await reads.readLiveRecords(this.#require().db, dataset)).map(toSyncRecord),
    observe: (read, signedOut) => followIdentity(this.#identity, () => reads.observe(read), signedOut),
    usage: async (dataset): Promise<DatasetUsage> => ({
      ...(await reads.readUsage(this.#require().db, dataset)),
      limits: this.#limits,
    }),
    pending: (dataset) => reads.countPending(this.#require().db, dataset),
    flush: (dataset) => this.#require().docs.flushed(dataset),
    doc: (dataset, key) => this.#require().docs.open(dataset, key),
    sync: async (dataset) => {
      const active = this.#require();
      await active.docs.flushed();
      return active.loop.sync(dataset);
    },
    deleteDataset: async (dataset) => {
      const active = this.#require();
      await deleteDatasetLocally(active.db, dataset);
      active.tabs.wrote(dataset, [], { debounce: false });
    },
    configure: async (dataset: string, conflictStrategy: ConflictStrategy) => {
      const active = this.#require();
      const info = await this.#session.authed((token) => this.#transport.configureDataset(token, dataset, conflictStrategy));
      await saveConflictStrategy(active.db, dataset, info.conflictStrategy);
    },
    pendingWrites: (dataset) => listPendingWrites(this.#require(), dataset),
    discardPending: (dataset, key) => discardPendingWrites(this.#require(), dataset, key),
    setConflictHandler: (dataset, handler) => {
      if (handler) this.#handlers.set(dataset, handler);
      else this.#handlers.delete(dataset);
    },
  };
}
