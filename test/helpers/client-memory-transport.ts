/**
 * An in-memory `Transport` for client unit tests: a miniature server with the protocol's rules
 * (one sync count per push, idempotent mutation ids, OPTIMISTIC conflicts, CRDT merge through
 * core/merge, paging by (syncCount, key)), plus hooks to fail calls. Not a conformance reference:
 * the integration tests run the real server.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach } from "vitest";
import { createClient, type ClientOptions, type SyncClient } from "../../client/index.js";
import { SyncpoolError } from "../../core/errors.js";
import { mergeRecordStates, stateChanged, type RecordState } from "../../core/merge.js";
import type { ConflictStrategy, SyncRecord } from "../../core/types.js";
import type {
  PushInput,
  PushResult,
  RecordPage,
  RecordsArgs,
  RemoteDataset,
  ServerConflict,
  Transport,
} from "../../client/transport/transport.js";

interface MemoryDataset {
  syncCount: number;
  strategy: ConflictStrategy;
  records: Map<string, SyncRecord>;
  deleted: boolean;
  deletedAt: number;
}

type Method = keyof Transport;

export class MemoryServer {
  readonly datasets = new Map<string, MemoryDataset>();
  readonly mutations = new Map<string, PushResult>();
  /** Every call, in order, with its arguments. */
  readonly calls: Array<{ method: Method; args: unknown[] }> = [];
  /** Errors to throw on the next calls of a method (before the call does anything). */
  readonly failures = new Map<Method, unknown[]>();
  /** Errors to throw after the call took effect (a lost answer). */
  readonly lostAnswers = new Map<Method, unknown[]>();
  now = Date.now();
  tokenCounter = 0;
  validTokens = new Set<string>();
  identityId = "local:00000000-0000-4000-8000-000000000001";
  deviceSecret = "secret-1";

  failNext(method: Method, error: unknown): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), error]);
  }

  loseNextAnswer(method: Method, error: unknown): void {
    this.lostAnswers.set(method, [...(this.lostAnswers.get(method) ?? []), error]);
  }

  dataset(name: string): MemoryDataset {
    let dataset = this.datasets.get(name);
    if (!dataset) {
      dataset = { syncCount: 0, strategy: "CRDT", records: new Map(), deleted: false, deletedAt: 0 };
      this.datasets.set(name, dataset);
    }
    return dataset;
  }

  /** The transport clients use. */
  readonly transport: Transport = {
    signIn: (input) =>
      this.#run("signIn", [input], async () => {
        const token = `token-${++this.tokenCounter}`;
        this.validTokens.add(token);
        return {
          identityId: this.identityId,
          token,
          expiresAt: this.now + 3_600_000,
          deviceSecret: input.identityId ? null : this.deviceSecret,
          mergedIdentityIds: [],
        };
      }),
    records: (token, args) => this.#run("records", [token, args], async () => (this.#auth(token), this.#records(args))),
    pushRecords: (token, input) => this.#run("pushRecords", [token, input], async () => (this.#auth(token), this.#push(input))),
    datasets: (token) =>
      this.#run("datasets", [token], async () => {
        this.#auth(token);
        return [...this.datasets.entries()].filter(([, d]) => !d.deleted).map(([name, d]) => this.#info(name, d));
      }),
    configureDataset: (token, name, strategy) =>
      this.#run("configureDataset", [token, name, strategy], async () => {
        this.#auth(token);
        const dataset = this.dataset(name);
        dataset.strategy = strategy;
        dataset.deleted = false;
        return this.#info(name, dataset);
      }),
    deleteDataset: (token, name) =>
      this.#run("deleteDataset", [token, name], async () => {
        this.#auth(token);
        const dataset = this.datasets.get(name);
        if (!dataset || dataset.deleted) return { name, deleted: false, syncCount: dataset?.syncCount ?? 0 };
        dataset.syncCount += 1;
        dataset.deleted = true;
        dataset.deletedAt = dataset.syncCount;
        dataset.records.clear();
        return { name, deleted: true, syncCount: dataset.syncCount };
      }),
    usage: (token) =>
      this.#run("usage", [token], async () => {
        this.#auth(token);
        throw new Error("not implemented");
      }),
  };

  async #run<T>(method: Method, args: unknown[], body: () => Promise<T>): Promise<T> {
    this.calls.push({ method, args });
    await Promise.resolve();
    const failure = this.failures.get(method)?.shift();
    if (failure !== undefined) throw failure;
    const result = structuredClone(await body());
    const lost = this.lostAnswers.get(method)?.shift();
    if (lost !== undefined) throw lost;
    return result;
  }

  #auth(token: string): void {
    if (!this.validTokens.has(token)) throw new SyncpoolError("UNAUTHENTICATED", "token expired");
  }

  #info(name: string, dataset: MemoryDataset): RemoteDataset {
    return {
      name,
      syncCount: dataset.syncCount,
      recordCount: [...dataset.records.values()].filter((record) => !record.deleted).length,
      sizeBytes: 0,
      conflictStrategy: dataset.strategy,
      createdAt: 0,
      lastModifiedAt: 0,
      lastModifiedBy: null,
    };
  }

  #records(args: RecordsArgs): RecordPage {
    const dataset = this.datasets.get(args.dataset);
    const since = args.sinceSyncCount;
    const first = args.first ?? 500;
    const offset = args.after ? Number(args.after) : 0;
    const changed = [...(dataset?.records.values() ?? [])]
      .filter((record) => record.syncCount > since)
      .sort((a, b) => a.syncCount - b.syncCount || (a.key < b.key ? -1 : 1));
    const page = changed.slice(offset, offset + first);
    return {
      records: page,
      datasetSyncCount: dataset?.syncCount ?? 0,
      datasetExists: Boolean(dataset && !dataset.deleted),
      deletedAfterSince: since > 0 && ((dataset?.deletedAt ?? 0) > since || since > (dataset?.syncCount ?? 0)),
      mergedDatasetNames: [],
      conflictStrategy: dataset && !dataset.deleted ? dataset.strategy : "CRDT",
      syncSessionToken: "session",
      nextCursor: offset + first < changed.length ? String(offset + first) : null,
    };
  }

  #push(input: PushInput): PushResult {
    const id = `${input.deviceId}/${input.mutationId}`;
    const remembered = this.mutations.get(id);
    if (remembered) return { ...remembered, replayed: true };
    const keys = new Set<string>();
    for (const patch of input.patches) {
      if (keys.has(patch.key)) throw new SyncpoolError("BAD_USER_INPUT", `duplicate key ${patch.key}`);
      keys.add(patch.key);
    }
    const dataset = this.dataset(input.dataset);
    if (dataset.deleted) {
      dataset.deleted = false;
      dataset.strategy = "CRDT";
    }
    if (dataset.strategy === "OPTIMISTIC") {
      const conflicts: ServerConflict[] = input.patches
        .filter((patch) => (patch.syncCount ?? 0) !== (dataset.records.get(patch.key)?.syncCount ?? 0))
        .map((patch) => ({
          key: patch.key,
          serverRecord: dataset.records.get(patch.key) ?? null,
          patchSyncCount: patch.syncCount ?? 0,
        }));
      if (conflicts.length > 0) return { datasetSyncCount: dataset.syncCount, records: [], conflicts, replayed: false };
    }
    const syncCount = dataset.syncCount + 1;
    const records: SyncRecord[] = [];
    for (const patch of input.patches) {
      const before = dataset.records.get(patch.key);
      const incoming: RecordState = {
        key: patch.key,
        value: patch.op === "REMOVE" ? null : (patch.value ?? null),
        kind: patch.op === "REMOVE" ? (before?.kind ?? patch.kind ?? "STRING") : (patch.kind ?? "STRING"),
        clock: patch.clock as string,
        lastModifiedBy: input.deviceId,
        deviceLastModifiedAt: patch.deviceLastModifiedAt ?? this.now,
        deleted: patch.op === "REMOVE",
      };
      const state =
        before && dataset.strategy === "CRDT"
          ? mergeRecordStates(toState(before), incoming)
          : incoming;
      if (before && !stateChanged(toState(before), state)) {
        records.push(before);
        continue;
      }
      const record: SyncRecord = { ...state, syncCount, lastModifiedAt: this.now };
      dataset.records.set(patch.key, record);
      records.push(record);
    }
    dataset.syncCount = syncCount;
    const result: PushResult = { datasetSyncCount: syncCount, records, conflicts: [], replayed: false };
    this.mutations.set(id, result);
    return result;
  }
}

function toState(record: SyncRecord): RecordState {
  const { syncCount: _s, lastModifiedAt: _l, ...state } = record;
  return state;
}

/** A client over `server`'s in-memory transport, with its own fake-indexeddb. */
export function memoryClient(server: MemoryServer, options: Partial<ClientOptions> = {}): SyncClient {
  return createClient({
    endpoint: "memory:",
    identityPoolId: "default",
    transport: server.transport,
    indexedDB: new IDBFactory(),
    IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange,
    autoSync: false,
    intervalMs: 0,
    ...options,
  });
}

/** Returns `track`: every client passed to it is closed after the test that made it. */
export function closedAfterEach(): (client: SyncClient) => SyncClient {
  const clients: SyncClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
  });
  return (client) => {
    clients.push(client);
    return client;
  };
}
