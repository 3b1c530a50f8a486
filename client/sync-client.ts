/**
 * `SyncClient`: the client's ORCHESTRATOR. It wires the parts together and holds no rules of its
 * own: sign-in (`session.ts`), the signed-in identity's parts (`active-identity.ts`: its database
 * in `store/`, the sync loop in `sync/sync-loop.ts` deciding when, `sync/run-pass.ts` and
 * `sync/sync-dataset.ts` deciding what, live changes in `sync/live-changes.ts`, the tabs sharing
 * the database in a browser in `tabs/`, bound documents in `doc/`), and the transport
 * (`transport/`, with the live subscription in `transport/subscription.ts`). Its platform comes
 * from `client-platform.ts`, who is signed in from `signed-in.ts`, dataset handles' calls from `dataset-host.ts`,
 * the user-pool methods (`signUp`, `confirmSignIn`...) from `user-pool-account.ts`, which it extends.
 */
import { assertDatasetName, DEFAULT_LIMITS } from "../core/limits.js";
import type { Limits } from "../core/types.js";
import { activateIdentity, deactivateIdentity, writeManyTo, type Active } from "./active-identity.js";
import { learnLimits, resolvePlatform, type ClientPlatform } from "./client-platform.js";
import { createDatasetHost } from "./dataset-host.js";
import type { DatasetOptions } from "./typed-value.js";
import { Dataset, type DatasetHost } from "./dataset.js";
import { Emitter, type ClientEventName, type Listener } from "./events.js";
import { finishGuestMerge, pushBeforeMerge } from "./guest-merge.js";
import { listDatasets, type DatasetSummary } from "./list-datasets.js";
import { SignedIn } from "./signed-in.js";
import type { ClientOptions } from "./options.js";
import { Session, type SignInOptions, type SignInResult } from "./session.js";
import { DeviceStore } from "./store/device-db.js";
import { deleteIdentityDb } from "./store/identity-db.js";
import type { ConflictHandler } from "./sync/resolve-conflicts.js";
import type { SyncState } from "./sync/sync-loop.js";
import { acrossTabs } from "./tabs/tab-coordinator.js";
import { sharedLocalName } from "./transport/shared-name.js";
import { listenToPlatform, Reachability, trackConnectivity } from "./transport/track-connectivity.js";
import type { Transport } from "./transport/transport.js";
import { UserPoolAccount, type UserPoolSignIn } from "./user-pool-account.js";
import type { UserPoolSignInResult } from "./user-pool/user-pool-auth.js";
import { WriteBatch, type WriteTransaction } from "./write-batch.js";

export type { DatasetSummary } from "./list-datasets.js";

/** Creates a client. Nothing touches the network or IndexedDB until `signIn()`. */
export function createClient(options: ClientOptions): SyncClient {
  return new SyncClient(options);
}

export class SyncClient extends UserPoolAccount {
  readonly #options: ClientOptions;
  readonly #emitter = new Emitter();
  /** What it runs on: IndexedDB, tabs, WebSocket, transport (`client-platform.ts`). */
  readonly #platform: ClientPlatform;
  readonly #devices: DeviceStore;
  readonly #transport: Transport;
  readonly #session: Session;
  readonly #limits: Limits;
  readonly #now: () => number;
  readonly #handlers = new Map<string, ConflictHandler>();
  #deviceId: string | null = null;
  /** The identity signed in, and the shared datasets each one pulls (`signed-in.ts`). */
  readonly #signedIn = new SignedIn(this.#emitter);
  #signingIn: Promise<unknown> = Promise.resolve();
  /** What the platform or the app (`setOnline`) last said; an identity signing in starts with it. */
  #online = true;
  /** The last `online`/`offline` event emitted. */
  readonly #reachability = new Reachability((online) => this.#emitter.emit(online ? "online" : "offline", {}));
  readonly #removePlatformListeners: () => void;
  /** What `Dataset` handles call; each call acts on the identity signed in at that moment. */
  readonly #host: DatasetHost;

  constructor(options: ClientOptions) {
    super(options);
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#platform = resolvePlatform(options);
    this.#devices = new DeviceStore(options.identityPoolId, this.#platform.indexedDb);
    this.#transport = trackConnectivity(this.#platform.transport, this.#reachability);
    this.#session = new Session({
      identityPoolId: options.identityPoolId,
      transport: this.#transport,
      devices: this.#devices,
      now: this.#now,
      ...(options.logins ? { logins: options.logins } : {}),
      onLimits: (limits) => learnLimits(this.#limits, limits, options.limits ?? {}),
      restoreLogins: (identityId) => this.storedUserPoolLogins(identityId),
    });
    this.keepUserPoolTokensIn(this.#devices);
    this.#host = createDatasetHost({
      active: () => this.#signedIn.require(),
      identity: this.#signedIn.signal,
      limits: this.#limits,
      session: this.#session,
      transport: this.#transport,
      handlers: this.#handlers,
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
    this.#signedIn.current?.tabs.setOnline(online);
    if (online) this.#signedIn.current?.subscription?.wake();
    this.#reachability.report(online);
  }

  /** This device's id (after the first `signIn`). */
  get deviceId(): string | null {
    return this.#deviceId;
  }

  /** The identity signed in, or null. */
  get identityId(): string | null {
    return this.#signedIn.current?.identityId ?? null;
  }

  /** The sync loop's state (`stopped` when signed out). */
  get syncState(): SyncState {
    return this.#signedIn.current?.loop.state ?? "stopped";
  }

  /** True when this tab runs the background sync (always, outside browsers); false when signed out. */
  get leadsSync(): boolean {
    return this.#signedIn.current?.tabs.isLeader ?? false;
  }

  /**
   * A code that signs this guest in on another device (`signIn({ transferCode })`). It is a
   * bearer credential: anyone holding it can act as this guest. Show it only to its owner.
   * @throws SyncpoolError UNAUTHENTICATED when signed out, FORBIDDEN for an identity from logins
   *   (sign in with the login on the other device instead).
   */
  transferCode(): string {
    this.#signedIn.require();
    return this.#session.transferCode();
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends ClientEventName>(event: E, listener: Listener<E>): () => void {
    return this.#emitter.on(event, listener);
  }

  /**
   * Signs in: with no argument as the identity stored on this device (offline too) or a new guest;
   * with `logins` as the identity they belong to; with `{identityId, deviceSecret}` (as another
   * device's `signIn()` returned them) or `{transferCode}` as a guest created on another device;
   * with `{username, password}` as a user of the user pool (`options.userPool`), resolving to the next
   * step (`DONE`, or an MFA step for `confirmSignIn`). Opens that identity's database and starts syncing.
   */
  signIn(options?: SignInOptions): Promise<SignInResult>;
  signIn(options: UserPoolSignIn): Promise<UserPoolSignInResult>;
  signIn(options: SignInOptions | UserPoolSignIn = {}): Promise<SignInResult | UserPoolSignInResult> {
    if ("username" in options) return this.userPoolSignIn(options);
    // One tab at a time, so two tabs opened at once on a new device do not create two guests.
    const deviceLock = `syncpool:device:${this.#options.identityPoolId}`;
    const run = this.#signingIn.then(() =>
      this.#platform.tabPlatform ? acrossTabs(deviceLock, this.#platform.tabPlatform, () => this.#signIn(options)) : this.#signIn(options),
    );
    this.#signingIn = run.catch(() => undefined);
    return run;
  }

  /**
   * Signs out: stops syncing and closes the database; `wipe` deletes it and forgets the guest.
   * A user-pool user's refresh token is revoked (offline, only forgotten). Other tabs of this
   * browser signed in as the same identity sign out with it.
   */
  async signOut(options: { wipe?: boolean } = {}): Promise<void> {
    const wiped = Boolean(options.wipe);
    await this.forgetUserPoolTokens();
    const active = this.#signedIn.current;
    // Saves of doc edits go through the active identity: flush them before letting it go.
    if (active && !wiped) await active.docs.flushed().catch(() => undefined);
    this.#signedIn.set(null);
    if (active) {
      // Other tabs close the database first, or they would re-open (re-create) it after the wipe.
      active.tabs.signedOut(wiped);
      deactivateIdentity(active);
      if (wiped) await deleteIdentityDb(active.identityId, this.#platform.indexedDb);
    }
    await this.#session.signOut(wiped);
    if (active) this.#emitter.emit("signedOut", { wiped });
  }

  /** Pushes every outbox and pulls every dataset to its latest count; rejects with the failure. */
  async sync(): Promise<void> {
    const active = this.#signedIn.require();
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
    await writeManyTo(this.#signedIn.require(), batch.writes);
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
    this.#signedIn.openShared(local);
    return new Dataset<V>(this.#host, local, options);
  }

  /** The datasets on this device and, when reachable, on the server. */
  datasets(): Promise<DatasetSummary[]> {
    return listDatasets(this.#signedIn.require(), this.#session, this.#transport);
  }

  /**
   * Tells the client that `dataset` changed on the server (a push notification): it pulls now.
   * Notifications are hints; a missed one is caught up by the next sync.
   */
  notifyRemoteChange(dataset: string): void {
    this.#signedIn.current?.tabs.remoteChanged(dataset);
  }

  /** Stops syncing and closes the databases without signing out (an app shutting down). */
  async close(): Promise<void> {
    const active = this.#signedIn.current;
    // Saves of doc edits go through the active identity: flush them before letting it go.
    if (active) await active.docs.flushed().catch(() => undefined);
    this.#signedIn.set(null);
    if (active) deactivateIdentity(active);
    this.#removePlatformListeners();
    this.#devices.close();
  }

  async #signIn(options: SignInOptions): Promise<SignInResult> {
    const device = await this.#devices.load(() => globalThis.crypto.randomUUID(), this.#options.deviceId);
    this.#deviceId = device.deviceId;
    const previous = this.#signedIn.current;
    // Signing in with a login may merge the guest into another identity: its pending writes go
    // to the server first, so the merge carries them.
    if (options.logins && previous) await pushBeforeMerge(previous);
    const result = await this.#session.signIn(options);
    if (this.#signedIn.current?.identityId === result.identityId) return result;
    if (this.#signedIn.current) deactivateIdentity(this.#signedIn.current);
    const active = await this.#activate(result.identityId, device.deviceId);
    this.#signedIn.set(active);
    if (!this.#online) active.tabs.setOnline(false);
    if (previous && result.mergedIdentityIds.includes(previous.identityId)) {
      await finishGuestMerge(previous.identityId, result.mergedIdentityIds, { indexedDb: this.#platform.indexedDb, emitter: this.#emitter });
    }
    return result;
  }

  #activate(identityId: string, deviceId: string): Promise<Active> {
    return activateIdentity({
      // indexedDb, tabPlatform, webSocket, pushOverSocket, requestTimeoutMs; the transport is the tracked one.
      ...this.#platform,
      identityId,
      deviceId,
      options: this.#options,
      transport: this.#transport,
      session: this.#session,
      emitter: this.#emitter,
      limits: this.#limits,
      now: this.#now,
      conflictHandler: (dataset) => this.#handlers.get(dataset) ?? this.#options.onConflict,
      // Nothing awaits this: a failure (the device database closed meanwhile) is reported, never left unhandled.
      onSignedOutElsewhere: (active, wiped) =>
        void this.#signedOutElsewhere(active, wiped).catch((error: unknown) => this.#emitter.emit("syncError", { error })),
    });
  }

  /** Another tab signed this identity out: let go of the database the same way. */
  async #signedOutElsewhere(active: Active, wiped: boolean): Promise<void> {
    if (!wiped) await active.docs.flushed().catch(() => undefined);
    if (this.#signedIn.current !== active) return;
    this.#signedIn.set(null);
    deactivateIdentity(active);
    await this.#session.signOut(false);
    this.#emitter.emit("signedOut", { wiped });
  }
}
