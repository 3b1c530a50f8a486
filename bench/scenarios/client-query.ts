/**
 * Scenario 8, client queries: 1,024 JSON records pulled into a client on fake-indexeddb from an
 * in-memory transport (no server process). Measured:
 * - `dataset.query()` over the whole dataset, p50/p99: the first query loads the dataset into the
 *   record cache (`client/store/record-cache.ts`), the measured ones filter, sort and copy the
 *   cached rows; against a plain `Array.filter` + `sort` over the same decoded values in the same
 *   run, and against `records()` (reading the dataset from IndexedDB, no decoding). Goal: under 2 ms.
 * - `watchQuery` update latency: one record changes on the "server", `dataset.sync()` pulls and
 *   applies it, the cache reads the changed record alone, and the clock stops when the watched
 *   result emits; against `observe(key)` of the changed record under the same pull. Both include
 *   the same pull from the in-memory transport.
 *   Goal: under 5 ms.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { performance } from "node:perf_hooks";
import { createClient, type SyncClient, type Transport } from "../../client/index.js";
import { formatClock } from "../../core/clock.js";
import { encodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut } from "../../core/json-record.js";
import { EMPTY_JSON_STATE } from "../../core/json-state.js";
import type { JsonObject } from "../../core/json-value.js";
import type { Query } from "../../core/query/index.js";
import type { SyncRecord } from "../../core/types.js";
import type { ResultRow, ScenarioResult } from "../lib/report.js";
import { summarize } from "../lib/stats.js";

const RECORDS = 1024;
const QUERY_GOAL_MS = 2;
const UPDATE_GOAL_MS = 5;
const DATASET = "tasks";
const QUERY: Query = {
  where: { and: [{ field: "done", eq: false }, { field: "list.name", prefix: "Sh" }] },
  orderBy: [{ field: "rank", direction: "desc" }, { field: "title" }],
};

interface Task extends JsonObject {
  title: string;
  rank: number;
  done: boolean;
  list: { name: string };
}

const task = (index: number, rank: number): Task => ({ title: `task ${index}`, rank, done: index % 3 === 0, list: { name: index % 2 ? "Shop" : "Work" } });

/** A server of one dataset in memory: it serves every record newer than the client's count in one page. */
class MemoryDataset {
  readonly records = new Map<string, SyncRecord>();
  syncCount = 0;

  write(key: string, value: Task): void {
    this.syncCount += 1;
    const now = Date.now();
    const clock = formatClock({ wallMs: now, counter: this.syncCount, deviceId: "server" });
    const encoded = encodeJsonState(applyJsonPut(EMPTY_JSON_STATE, value, clock));
    this.records.set(key, { key, value: encoded, kind: "JSON", syncCount: this.syncCount, clock, lastModifiedBy: "other", lastModifiedAt: now, deviceLastModifiedAt: now, deleted: false });
  }

  transport(): Transport {
    const refuse = () => Promise.reject(new Error("the client-query scenario only pulls"));
    return {
      signIn: async () => ({ identityId: "local:00000000-0000-4000-8000-000000000002", token: "t", expiresAt: Date.now() + 3_600_000, deviceSecret: "s", mergedIdentityIds: [] }),
      records: async (_token, args) => ({
        records: [...this.records.values()].filter((record) => record.syncCount > args.sinceSyncCount),
        datasetSyncCount: this.syncCount,
        datasetExists: true,
        deletedAfterSince: false,
        mergedDatasetNames: [],
        conflictStrategy: "CRDT",
        syncSessionToken: "s",
        nextCursor: null,
      }),
      pushRecords: refuse,
      datasets: async () => [],
      configureDataset: refuse,
      deleteDataset: refuse,
      usage: refuse,
    };
  }
}

async function filledClient(server: MemoryDataset): Promise<SyncClient> {
  for (let index = 0; index < RECORDS; index++) server.write(`task-${String(index).padStart(4, "0")}`, task(index, (index * 7) % RECORDS));
  const client = createClient({
    endpoint: "bench:",
    identityPoolId: "default",
    transport: server.transport(),
    indexedDB: new IDBFactory(),
    IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange,
    autoSync: false,
    intervalMs: 0,
  });
  await client.signIn();
  await client.dataset(DATASET).sync();
  return client;
}

/** The same query written by hand over values already decoded: the floor a query cannot beat. */
function plainQuery(rows: Array<{ key: string; value: Task }>) {
  return rows
    .filter((row) => row.value.done === false && row.value.list.name.startsWith("Sh"))
    .sort((a, b) => b.value.rank - a.value.rank || (a.value.title < b.value.title ? -1 : a.value.title > b.value.title ? 1 : 0) || (a.key < b.key ? -1 : 1));
}

function timed(samples: number[], run: () => unknown): void {
  const started = performance.now();
  run();
  samples.push(performance.now() - started);
}

/** Milliseconds from the start of the pull of each remote change to the next value the subscription gets. */
async function updateLatencies(
  client: SyncClient,
  iterations: number,
  subscribe: (onValue: () => void) => () => void,
  change: (iteration: number) => void,
): Promise<number[]> {
  let waiting: (() => void) | null = null;
  let first = true;
  let initial!: () => void;
  const ready = new Promise<void>((resolve) => (initial = resolve));
  const stop = subscribe(() => {
    if (first) return ((first = false), initial());
    waiting?.();
  });
  await ready;
  const samples: number[] = [];
  for (let iteration = 0; iteration < iterations; iteration++) {
    change(iteration);
    const emitted = new Promise<number>((resolve) => (waiting = () => resolve(performance.now())));
    const started = performance.now();
    await client.dataset(DATASET).sync();
    samples.push((await emitted) - started);
  }
  stop();
  return samples;
}

export async function runClientQuery(quick: boolean): Promise<ScenarioResult> {
  const iterations = quick ? 100 : 400;
  const server = new MemoryDataset();
  const client = await filledClient(server);
  const dataset = client.dataset(DATASET);

  const decoded = (await dataset.query()) as Array<{ key: string; value: Task }>;
  const expected = plainQuery([...decoded]).map((row) => row.key);
  const found = (await dataset.query(QUERY)).map((row) => row.key);
  if (JSON.stringify(found) !== JSON.stringify(expected)) throw new Error("query and the plain filter/sort disagree");

  const querySamples: number[] = [];
  const plainSamples: number[] = [];
  const readSamples: number[] = [];
  for (let iteration = 0; iteration < iterations; iteration++) {
    const started = performance.now();
    await dataset.query(QUERY);
    querySamples.push(performance.now() - started);
    timed(plainSamples, () => plainQuery([...decoded]));
    const readStarted = performance.now();
    await dataset.records();
    readSamples.push(performance.now() - readStarted);
  }

  // Each change moves a matching record (odd index, not a multiple of 3) to a new rank.
  const moved = (iteration: number) => 1 + 2 * ((iteration * 5) % 100) + (((iteration * 5) % 100) % 3 === 1 ? 2 : 0);
  const key = (index: number) => `task-${String(index).padStart(4, "0")}`;
  const watchSamples = await updateLatencies(client, iterations, (onValue) => dataset.watchQuery(QUERY).subscribe(onValue), (iteration) =>
    server.write(key(moved(iteration)), task(moved(iteration), RECORDS + iteration)),
  );
  const observeSamples = await updateLatencies(client, iterations, (onValue) => dataset.observe(key(1)).subscribe(onValue), (iteration) =>
    server.write(key(1), task(1, 2 * RECORDS + iteration)),
  );
  await client.close();

  const query = summarize(querySamples);
  const plain = summarize(plainSamples);
  const read = summarize(readSamples);
  const watch = summarize(watchSamples);
  const observe = summarize(observeSamples);
  const rows: ResultRow[] = [
    {
      scenario: "8 client query",
      case: `query() over ${RECORDS.toLocaleString("en-US")} JSON records (fake-indexeddb), ${found.length} match`,
      value: query.medianMs,
      p99: query.p99Ms,
      unit: "ms",
      better: "lower",
      baselines: [
        { name: "Array.filter + sort over the same decoded values", value: plain.medianMs },
        { name: "records(): reading the dataset alone, no decoding", value: read.medianMs },
      ],
      goal: { text: `under ${QUERY_GOAL_MS} ms`, met: query.medianMs < QUERY_GOAL_MS },
    },
    {
      scenario: "8 client query",
      case: "watchQuery update after a remote change (pull start to emission)",
      value: watch.medianMs,
      p99: watch.p99Ms,
      unit: "ms",
      better: "lower",
      baselines: [{ name: "observe(key) update under the same pull", value: observe.medianMs }],
      goal: { text: `under ${UPDATE_GOAL_MS} ms`, met: watch.medianMs < UPDATE_GOAL_MS },
    },
  ];
  return { name: "client-query", title: "Client queries", rows, details: { records: RECORDS, matching: found.length, iterations, query, plainFilterSort: plain, readRecords: read, watchQueryUpdate: watch, observeUpdate: observe }, charts: [] };
}
