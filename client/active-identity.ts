/**
 * The signed-in part of the client: one identity's database, clock, sync loop, tabs, bound
 * documents and live subscription, built together by `activateIdentity` when an identity signs in
 * and taken apart by `deactivateIdentity` when it leaves. `sync-client.ts` (the orchestrator)
 * decides when; this module only wires the parts of one identity to each other.
 */
import { SyncpoolError } from "../core/errors.js";
import type { Limits } from "../core/types.js";
import { DeviceClock } from "./device-clock.js";
import { DocRegistry } from "./doc/doc-registry.js";
import type { Emitter } from "./events.js";
import type { ClientOptions } from "./options.js";
import type { Session } from "./session.js";
import { identityDbName, openIdentityDb, type IdentityDb, type IndexedDbDependencies } from "./store/identity-db.js";
import { databaseLease } from "./store/lease.js";
import { writeLocal, writeLocalBatch, type LocalWrite } from "./store/local-write.js";
import * as reads from "./store/read-records.js";
import { toSyncRecord } from "./store/record-state.js";
import type { ClockMeta } from "./store/rows.js";
import { LiveChanges } from "./sync/live-changes.js";
import type { ConflictHandler } from "./sync/resolve-conflicts.js";
import { isRetryable } from "./sync/retry-policy.js";
import { reportedErrors, runSyncPass } from "./sync/run-pass.js";
import { retryAfterMs, type SyncContext } from "./sync/sync-dataset.js";
import { SyncLoop } from "./sync/sync-loop.js";
import type { TabPlatform } from "./tabs/tab-coordinator.js";
import { TabSync } from "./tabs/tab-sync.js";
import { isNetworkError } from "./transport/network-error.js";
import { withSocketPush } from "./transport/socket-push.js";
import { subscribeToDatasetChanges, type LiveSubscription, type WebSocketConstructor } from "./transport/subscription.js";
import type { Transport } from "./transport/transport.js";

/** One signed-in identity's parts. */
export interface Active {
  identityId: string;
  db: IdentityDb;
  clock: DeviceClock;
  loop: SyncLoop;
  tabs: TabSync;
  docs: DocRegistry;
  ctx: SyncContext;
  live: LiveChanges;
  /** The open subscription (only in the tab leading sync, when live updates are on). */
  subscription: LiveSubscription | null;
}

/** What activating needs from the client. */
export interface ActivateDeps {
  identityId: string;
  deviceId: string;
  options: ClientOptions;
  indexedDb: IndexedDbDependencies;
  transport: Transport;
  session: Session;
  emitter: Emitter;
  limits: Limits;
  now: () => number;
  conflictHandler(dataset: string): ConflictHandler | undefined;
  tabPlatform: TabPlatform | null;
  /** The WebSocket for live updates; null when they are off. */
  webSocket: WebSocketConstructor | null;
  /** Pushes go over the live socket while it is open (`transport/socket-push.ts`). */
  pushOverSocket: boolean;
  /** How long a push over the socket waits for its answer before going by HTTP. */
  requestTimeoutMs: number;
  /** Another tab signed this identity out. */
  onSignedOutElsewhere(active: Active, wiped: boolean): void;
}

/** Opens the identity's database and starts syncing it (in a browser: the leading tab syncs). */
export async function activateIdentity(deps: ActivateDeps): Promise<Active> {
  const { identityId, deviceId, options, emitter } = deps;
  const db = await openIdentityDb(identityId, deps.indexedDb);
  const stored = (await db.meta.get("clock")) as ClockMeta | undefined;
  const clock = new DeviceClock(deviceId, deps.now, stored?.last ?? null);
  const docs = new DocRegistry({
    load: async (name, key) => {
      const record = await reads.readRecord(db, name, key);
      return record ? toSyncRecord(record) : undefined;
    },
    // Bound to this identity's session, even if another one signs in meanwhile.
    save: (name, key, update) => writeTo(active, { dataset: name, key, op: "REPLACE", value: update, kind: "YDOC" }),
    reportError: (error, name, key) => db.isOpen() && emitter.emit("syncError", { error, dataset: name, key }),
  });
  const ctx: SyncContext = {
    db,
    // The subscription exists only in the tab leading sync, which is the tab that pushes.
    transport: deps.pushOverSocket ? withSocketPush(deps.transport, () => active.subscription) : deps.transport,
    authed: (request) => deps.session.authed(request),
    deviceId,
    clock,
    write: { deviceId, clock, now: deps.now, limits: deps.limits },
    emitter,
    // Remembered, so the live events of this client's own pushes are skipped.
    newMutationId: () => live.own(globalThis.crypto.randomUUID()),
    conflictHandler: deps.conflictHandler,
    recordsChanged: (dataset, records) => {
      docs.apply(dataset, records);
      tabs.synced(dataset, records.map((record) => record.key));
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    pageSize: options.pageSize ?? 1000,
  };
  const autoSync = options.autoSync ?? true;
  const backoff = { ...options.backoff, ...(options.random ? { random: options.random } : {}) };
  const loop: SyncLoop = new SyncLoop({
    runPass: (target, setState) => tabs.exclusive(() => runSyncPass(ctx, target, setState)),
    isRetryable,
    onError: (error) => {
      if (typeof error === "object" && error !== null && reportedErrors.has(error)) return;
      // A pass ended by this client's own close() or signOut() is no failure to report.
      if (!db.isOpen()) return;
      emitter.emit("syncError", { error });
    },
    onState: (state) => emitter.emit("syncState", { state }),
    retryAfterMs: (error) => (error instanceof SyncpoolError && error.code === "RATE_LIMITED" ? retryAfterMs(error) : undefined),
    intervalMs: autoSync ? (options.intervalMs ?? 60_000) : 0,
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
    ...(options.debounceMaxWaitMs !== undefined ? { debounceMaxWaitMs: options.debounceMaxWaitMs } : {}),
    backoff,
  });
  const live = new LiveChanges({
    ctx,
    exclusive: (task) => tabs.exclusive(task),
    requestPull: (dataset) => loop.request(dataset),
    onError: (error, dataset) => db.isOpen() && emitter.emit("syncError", { error, dataset }),
  });
  const webSocket = deps.webSocket;
  const tabs: TabSync = new TabSync({
    name: identityDbName(identityId),
    loop,
    emitter,
    autoSync,
    platform: deps.tabPlatform,
    lease: { store: databaseLease(db), now: deps.now },
    onRecordsChanged: (dataset, keys) => void docs.reload(dataset, keys),
    onSignedOut: (wiped) => deps.onSignedOutElsewhere(active, wiped),
    onLead: () => {
      if (!webSocket || active.subscription || active.db !== db) return;
      active.subscription = subscribeToDatasetChanges({
        endpoint: options.endpoint,
        WebSocket: webSocket,
        token: () => deps.session.token(),
        renewToken: () => deps.session.renewToken(),
        onChange: (change) => live.receive(change),
        // Whatever changed while disconnected (or before the first connection) is pulled now.
        onConnected: () => loop.request("all"),
        // Drops are expected and retried; the loop reports the network's failures itself.
        onError: (error) => {
          if (!isNetworkError(error)) emitter.emit("syncError", { error });
        },
        backoff: { baseMs: 1_000, maxMs: 60_000, ...backoff },
        pushTimeoutMs: deps.requestTimeoutMs,
      });
    },
    onFollow: () => {
      active.subscription?.stop();
      active.subscription = null;
    },
  });
  const active: Active = { identityId, db, clock, loop, tabs, docs, ctx, live, subscription: null };
  // Starts the loop; in a browser it runs in the background only in the tab leading sync.
  tabs.start();
  return active;
}

/** Stops syncing the identity and closes its database. */
export function deactivateIdentity(active: Active): void {
  active.subscription?.stop();
  active.subscription = null;
  active.loop.stop();
  active.tabs.close();
  active.docs.destroyAll();
  active.db.close();
}

/** Stores a local write and has it synced. */
export async function writeTo(active: Active, write: LocalWrite): Promise<void> {
  await writeLocal(active.db, write, active.ctx.write);
  active.tabs.wrote(write.dataset, [write.key], { debounce: true });
}

/** Stores several local writes in one transaction (all or none) and has them synced. */
export async function writeManyTo(active: Active, writes: readonly LocalWrite[]): Promise<void> {
  if (writes.length === 0) return;
  await writeLocalBatch(active.db, writes, active.ctx.write);
  const keysByDataset = new Map<string, string[]>();
  for (const write of writes) keysByDataset.set(write.dataset, [...(keysByDataset.get(write.dataset) ?? []), write.key]);
  for (const [dataset, keys] of keysByDataset) active.tabs.wrote(dataset, keys, { debounce: true });
}
