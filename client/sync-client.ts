/**
 * `SyncClient`: the client's ORCHESTRATOR. It wires the parts together and holds no rules of its
 * own: sign-in (`session.ts`), the identity database (`store/`), the sync loop (`sync/sync-loop.ts`
 * deciding when, `sync/run-pass.ts` and `sync/sync-dataset.ts` deciding what), bound documents
 * (`doc/`), and the transport (`transport/`).
 */
import type * as Y from "yjs";
import { SyncpoolError } from "../core/errors.js";
import { DEFAULT_LIMITS } from "../core/limits.js";
import type { ConflictStrategy, Limits, PatchOp, RecordKind } from "../core/types.js";
import { Dataset, type DatasetHost, type DatasetUsage } from "./dataset.js";
import { DeviceClock } from "./device-clock.js";
import { DocBinding } from "./doc/doc-binding.js";
import { Emitter, type ClientEventName, type Listener } from "./events.js";
import type { ClientOptions } from "./options.js";
import { Session, type SignInOptions, type SignInResult } from "./session.js";
import { deleteDatasetLocally, saveConflictStrategy } from "./store/dataset-store.js";
import { DeviceStore } from "./store/device-db.js";
import { deleteIdentityDb, openIdentityDb, type IdentityDb, type IndexedDbDependencies } from "./store/identity-db.js";
import { writeLocal, type LocalWrite } from "./store/local-write.js";
import { toSyncRecord } from "./store/record-state.js";
import * as reads from "./store/read-records.js";
import type { ClockMeta, LocalRecord } from "./store/rows.js";
import type { ConflictHandler } from "./sync/resolve-conflicts.js";
import { reportedErrors, runSyncPass } from "./sync/run-pass.js";
import { retryAfterMs, type SyncContext } from "./sync/sync-dataset.js";
import { SyncLoop, type SyncState } from "./sync/sync-loop.js";
import { createGraphqlTransport } from "./transport/graphql-transport.js";
import { isNetworkError } from "./transport/network-error.js";
import { trackConnectivity } from "./transport/track-connectivity.js";
import type { RemoteDataset, Transport } from "./transport/transport.js";

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

/** The signed-in part of the client: one identity's database, clock, loop and docs. */
interface Active {
  identityId: string;
  db: IdentityDb;
  clock: DeviceClock;
  loop: SyncLoop;
  docs: Map<string, DocBinding>;
  ctx: SyncContext;
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
  #deviceId: string | null = null;
  #active: Active | null = null;
  #signingIn: Promise<unknown> = Promise.resolve();
  #removePlatformListeners: () => void = () => {};

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#deps = {
      ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
      ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
    };
    this.#devices = new DeviceStore(options.identityPoolId, this.#deps);
    const transport =
      options.transport ??
      createGraphqlTransport({
        endpoint: options.endpoint,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      });
    this.#transport = trackConnectivity(transport, (online) => this.#emitter.emit(online ? "online" : "offline", {}));
    this.#session = new Session({
      identityPoolId: options.identityPoolId,
      transport: this.#transport,
      devices: this.#devices,
      now: this.#now,
      ...(options.logins ? { logins: options.logins } : {}),
    });
    this.#listenToPlatform();
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

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends ClientEventName>(event: E, listener: Listener<E>): () => void {
    return this.#emitter.on(event, listener);
  }

  /**
   * Signs in: with no argument as the identity stored on this device (offline too) or a new guest;
   * with `logins` as the identity they belong to; with `{identityId, deviceSecret}` as a guest
   * created on another device. Opens that identity's database and starts syncing.
   */
  signIn(options: SignInOptions = {}): Promise<SignInResult> {
    const run = this.#signingIn.then(() => this.#signIn(options));
    this.#signingIn = run.catch(() => undefined);
    return run;
  }

  /** Signs out: stops syncing and closes the database; `wipe` deletes it and forgets the guest. */
  async signOut(options: { wipe?: boolean } = {}): Promise<void> {
    const active = this.#active;
    // Saves of doc edits go through the active identity: flush them before letting it go.
    if (active && !options.wipe) await flushDocs(active).catch(() => undefined);
    this.#active = null;
    if (active) {
      this.#deactivate(active);
      if (options.wipe) await deleteIdentityDb(active.identityId, this.#deps);
    }
    await this.#session.signOut(Boolean(options.wipe));
  }

  /** Pushes every outbox and pulls every dataset to its latest count; rejects with the failure. */
  async sync(): Promise<void> {
    const active = this.#require();
    await flushDocs(active);
    return active.loop.sync("all");
  }

  /** A handle on the dataset `name` (it exists once written to or pulled). */
  dataset(name: string): Dataset {
    return new Dataset(this.#host, name);
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
    this.#active?.loop.request(dataset);
  }

  /** Stops syncing and closes the databases without signing out (an app shutting down). */
  async close(): Promise<void> {
    const active = this.#active;
    // Saves of doc edits go through the active identity: flush them before letting it go.
    if (active) await flushDocs(active).catch(() => undefined);
    this.#active = null;
    if (active) this.#deactivate(active);
    this.#removePlatformListeners();
    this.#devices.close();
  }

  async #signIn(options: SignInOptions): Promise<SignInResult> {
    const device = await this.#devices.load(() => globalThis.crypto.randomUUID(), this.#options.deviceId);
    this.#deviceId = device.deviceId;
    const result = await this.#session.signIn(options);
    if (this.#active?.identityId === result.identityId) return result;
    if (this.#active) this.#deactivate(this.#active);
    this.#active = await this.#activate(result.identityId, device.deviceId);
    return result;
  }

  async #activate(identityId: string, deviceId: string): Promise<Active> {
    const db = await openIdentityDb(identityId, this.#deps);
    const stored = (await db.meta.get("clock")) as ClockMeta | undefined;
    const clock = new DeviceClock(deviceId, this.#now, stored?.last ?? null);
    const docs = new Map<string, DocBinding>();
    const ctx: SyncContext = {
      db,
      transport: this.#transport,
      authed: (request) => this.#session.authed(request),
      deviceId,
      clock,
      write: { deviceId, clock, now: this.#now, limits: this.#limits },
      emitter: this.#emitter,
      newMutationId: () => globalThis.crypto.randomUUID(),
      conflictHandler: (dataset) => this.#handlers.get(dataset) ?? this.#options.onConflict,
      recordsChanged: (dataset, records) => applyToDocs(docs, dataset, records),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      pageSize: this.#options.pageSize ?? 500,
    };
    const autoSync = this.#options.autoSync ?? true;
    const loop = new SyncLoop({
      runPass: (target, setState) => runSyncPass(ctx, target, setState),
      isRetryable,
      onError: (error) => {
        if (typeof error === "object" && error !== null && reportedErrors.has(error)) return;
        this.#emitter.emit("syncError", { error });
      },
      retryAfterMs: (error) =>
        error instanceof SyncpoolError && error.code === "RATE_LIMITED" ? retryAfterMs(error) : undefined,
      intervalMs: autoSync ? (this.#options.intervalMs ?? 60_000) : 0,
      ...(this.#options.debounceMs !== undefined ? { debounceMs: this.#options.debounceMs } : {}),
      ...(this.#options.debounceMaxWaitMs !== undefined ? { debounceMaxWaitMs: this.#options.debounceMaxWaitMs } : {}),
      backoff: { ...this.#options.backoff, ...(this.#options.random ? { random: this.#options.random } : {}) },
    });
    loop.start({ syncNow: autoSync });
    return { identityId, db, clock, loop, docs, ctx };
  }

  #deactivate(active: Active): void {
    active.loop.stop();
    for (const binding of [...active.docs.values()]) binding.doc.destroy();
    active.db.close();
  }

  #require(): Active {
    if (!this.#active) throw new SyncpoolError("UNAUTHENTICATED", "not signed in: call signIn() first");
    return this.#active;
  }

  /** What `Dataset` handles call; each call acts on the identity signed in at that moment. */
  readonly #host: DatasetHost = {
    write: (dataset: string, key: string, op: PatchOp, value: string | null, kind: RecordKind) =>
      this.#write(this.#require(), { dataset, key, op, value, kind }),
    record: async (dataset, key) => {
      const record = await reads.readRecord(this.#require().db, dataset, key);
      return record ? toSyncRecord(record) : undefined;
    },
    liveRecords: async (dataset) => (await reads.readLiveRecords(this.#require().db, dataset)).map(toSyncRecord),
    observe: (read) => reads.observe(read),
    usage: async (dataset): Promise<DatasetUsage> => ({
      ...(await reads.readUsage(this.#require().db, dataset)),
      limits: this.#limits,
    }),
    pending: (dataset) => reads.countPending(this.#require().db, dataset),
    flush: async (dataset) => {
      const active = this.#require();
      await Promise.all([...active.docs.values()].filter((b) => b.dataset === dataset).map((b) => b.flushed()));
    },
    doc: (dataset, key) => this.#doc(dataset, key),
    sync: async (dataset) => {
      const active = this.#require();
      await flushDocs(active);
      return active.loop.sync(dataset);
    },
    deleteDataset: async (dataset) => {
      const active = this.#require();
      await deleteDatasetLocally(active.db, dataset);
      if (this.#options.autoSync ?? true) active.loop.request(dataset);
    },
    configure: async (dataset: string, conflictStrategy: ConflictStrategy) => {
      const active = this.#require();
      const info = await this.#session.authed((token) => this.#transport.configureDataset(token, dataset, conflictStrategy));
      await saveConflictStrategy(active.db, dataset, info.conflictStrategy);
    },
    setConflictHandler: (dataset, handler) => {
      if (handler) this.#handlers.set(dataset, handler);
      else this.#handlers.delete(dataset);
    },
  };

  async #write(active: Active, write: LocalWrite): Promise<void> {
    await writeLocal(active.db, write, active.ctx.write);
    if (this.#options.autoSync ?? true) active.loop.request(write.dataset, { debounce: true });
  }

  #doc(dataset: string, key: string): Y.Doc {
    const active = this.#require();
    const id = `${dataset}\u0000${key}`;
    const existing = active.docs.get(id);
    if (existing) return existing.doc;
    const binding = new DocBinding(
      {
        load: async (name, recordKey) => {
          const record = await reads.readRecord(active.db, name, recordKey);
          return record ? toSyncRecord(record) : undefined;
        },
        // Bound to the identity the doc was opened for, even if another one signs in meanwhile.
        save: (name, recordKey, update) =>
          this.#write(active, { dataset: name, key: recordKey, op: "REPLACE", value: update, kind: "YDOC" }),
        reportError: (error, name, recordKey) => this.#emitter.emit("syncError", { error, dataset: name, key: recordKey }),
      },
      dataset,
      key,
      () => active.docs.delete(id),
    );
    active.docs.set(id, binding);
    return binding.doc;
  }

  /** Browsers report connectivity; Node has no such events and relies on retries. */
  #listenToPlatform(): void {
    const target = globalThis as unknown as Partial<Pick<EventTarget, "addEventListener" | "removeEventListener">>;
    if (typeof target.addEventListener !== "function" || typeof target.removeEventListener !== "function") return;
    const online = () => {
      this.#active?.loop.setOnline(true);
      this.#emitter.emit("online", {});
    };
    const offline = () => {
      this.#active?.loop.setOnline(false);
      this.#emitter.emit("offline", {});
    };
    target.addEventListener("online", online);
    target.addEventListener("offline", offline);
    this.#removePlatformListeners = () => {
      target.removeEventListener?.("online", online);
      target.removeEventListener?.("offline", offline);
    };
  }
}

/** Failures worth retrying with backoff: the network, rate limits, unexpected faults. */
function isRetryable(error: unknown): boolean {
  if (!(error instanceof SyncpoolError)) return true;
  return error.code === "RATE_LIMITED" || error.code === "CLOCK_SKEW";
}

/** Waits until edits made to bound docs so far are saved (so a sync includes them). */
async function flushDocs(active: Active): Promise<void> {
  await Promise.all([...active.docs.values()].map((binding) => binding.flushed()));
}

function applyToDocs(docs: Map<string, DocBinding>, dataset: string, records: readonly LocalRecord[]): void {
  if (docs.size === 0) return;
  for (const record of records) docs.get(`${dataset}\u0000${record.key}`)?.applyRemote(record);
}
