/**
 * Scenario 10, model sync: unmodified Amplify DataStore (aws-amplify 6.22, @aws-amplify/datastore
 * 5.1, default sync settings, IndexedDB adapter on fake-indexeddb, its own process:
 * `procs/datastore-sync.cjs`) syncing one owner model `Todo` of 10,000 items (1,000 in a quick
 * run) from syncpool's model API, against syncpool's own client (`createClient`, fake-indexeddb,
 * in the runner's process) pulling the same items from the same server: the model's dataset
 * `model-Todo`, which the model API serves. The server runs in its own process; bytes on the wire
 * are counted by a TCP proxy in front of it, HTTP headers included.
 *
 * Measured: the base sync of a fresh device (DataStore's `start()`, which in Node resolves after its
 * sync queries; the client's `dataset.sync()`), then, after another device changes one item, the
 * delta sync (DataStore's `stop()` and `start()`, how it syncs again without realtime; the
 * client's `dataset.sync()`). Each row's ratio is DataStore's figure over syncpool's client's.
 */
import { fork } from "node:child_process";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { createClient } from "../../client/index.js";
import { formatClock } from "../../core/clock.js";
import { encodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut } from "../../core/json-record.js";
import { EMPTY_JSON_STATE } from "../../core/json-state.js";
import { DELTA_OVERLAP_MS } from "../../server/models/model-sync.js";
import { startByteCountingProxy } from "../lib/byte-counting-proxy.js";
import { nextMessage, startChildServer } from "../lib/child-server.js";
import { gql, signInGuest, type Guest } from "../lib/gql.js";
import type { ResultRow, ScenarioResult } from "../lib/report.js";

/** The app's schema.graphql; procs/datastore-sync.cjs holds what codegen makes of it. */
const SCHEMA = `type Todo @model @auth(rules: [{ allow: owner }]) { id: ID! title: String! done: Boolean }`;
const DATASET = "model-Todo";
const ITEMS_PER_SEED_PUSH = 1000;
/** How long one DataStore command may take before the run calls the scenario failed. */
const DEVICE_DEADLINE_MS = 15 * 60_000;
const DEVICE = fileURLToPath(new URL("../procs/datastore-sync.cjs", import.meta.url));
const PUSH = `mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }`;

const itemId = (index: number) => `todo-${String(index).padStart(5, "0")}`;

/** A to-do as a JSON record's value, written by `deviceId`. */
function todoValue(index: number, owner: string, version: number, deviceId: string): string {
  const clock = formatClock({ wallMs: Date.now(), counter: version, deviceId });
  return encodeJsonState(applyJsonPut(EMPTY_JSON_STATE, { title: `to-do number ${index}, version ${version}`, done: index % 3 === 0, owner }, clock));
}

async function pushTodos(url: string, guest: Guest, mutationId: string, deviceId: string, indexes: number[], version: number): Promise<void> {
  const patches = indexes.map((index) => ({ op: "REPLACE", key: itemId(index), kind: "JSON", value: todoValue(index, guest.identityId, version, deviceId) }));
  await gql(url, PUSH, { input: { dataset: DATASET, deviceId, mutationId, patches } }, guest.token);
}

/** A DataStore device process; each command resolves to its answer. */
async function startDevice(endpoint: string, token: string) {
  const child = fork(DEVICE, [JSON.stringify({ endpoint, token })], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  await nextMessage(child, "ready");
  const run = async <T>(type: string, args: object = {}): Promise<T> => {
    const answer = nextMessage<T & { error?: string }>(child, type, DEVICE_DEADLINE_MS);
    child.send({ type, ...args });
    const result = await answer;
    if (result.error) throw new Error(`DataStore ${type}: ${result.error}`);
    return result;
  };
  return {
    run,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send({ type: "stop" });
      const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(force);
    },
  };
}

/** Runs `measure` and returns its result with the milliseconds and wire bytes it took. */
async function metered<T>(proxy: { counted(): { sentBytes: number; receivedBytes: number } }, measure: () => Promise<T>) {
  const before = proxy.counted();
  const started = performance.now();
  const result = await measure();
  const ms = performance.now() - started;
  const after = proxy.counted();
  return { result, ms, bytes: after.sentBytes - before.sentBytes + after.receivedBytes - before.receivedBytes };
}

/** Runs scenario 10: 10,000 items, or 1,000 with `quick`. */
export async function runModelSync(quick: boolean): Promise<ScenarioResult> {
  const items = quick ? 1_000 : 10_000;
  const server = await startChildServer("syncpool", { storage: "sqlite", modelsSchema: SCHEMA });
  const proxy = await startByteCountingProxy(server.url);
  const origin = new URL(server.url).origin;
  const client = createClient({
    endpoint: `${proxy.origin}/graphql`,
    identityPoolId: "default",
    indexedDB: new IDBFactory(),
    IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange,
    autoSync: false,
    intervalMs: 0,
  });
  let device: Awaited<ReturnType<typeof startDevice>> | undefined;
  try {
    const guest = await signInGuest(server.url);
    const seedStarted = performance.now();
    for (let first = 0; first < items; first += ITEMS_PER_SEED_PUSH) {
      const indexes = Array.from({ length: Math.min(ITEMS_PER_SEED_PUSH, items - first) }, (_, offset) => first + offset);
      await pushTodos(server.url, guest, `seed-${first}`, "seeder", indexes, 1);
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    // A delta sync also answers what changed up to DELTA_OVERLAP_MS before its lastSync (the base
    // sync's start). An app's items are older than that; so are the bench's once this has passed.
    const seededAt = Date.now();
    await delay(Math.max(0, seededAt + DELTA_OVERLAP_MS + 100 - Date.now()));
    await client.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret });
    device = await startDevice(`${proxy.origin}/appsync/default/graphql`, guest.token);
    const dataStoreDevice = device;

    // Base sync: DataStore first, so the client does not profit from a server cache DataStore warmed.
    const dataStoreBase = await metered(proxy, () => dataStoreDevice.run<{ ms: number; items: number }>("start"));
    if (dataStoreBase.result.items !== items) throw new Error(`DataStore holds ${dataStoreBase.result.items} to-dos after its base sync, expected ${items}`);
    const clientBase = await metered(proxy, () => client.dataset(DATASET).sync());
    const clientItems = await client.dataset(DATASET).recordCount();
    if (clientItems !== items) throw new Error(`the client holds ${clientItems} to-dos after its base sync, expected ${items}`);

    // Another device changes one to-do.
    const changed = Math.floor(items / 2);
    await pushTodos(server.url, guest, "delta-1", "other-device", [changed], 2);
    const dataStoreDelta = await metered(proxy, () => dataStoreDevice.run<{ ms: number; items: number }>("resync"));
    const seen = await dataStoreDevice.run<{ item: { title: string } | null }>("get", { id: itemId(changed) });
    if (!seen.item?.title.endsWith("version 2")) throw new Error(`DataStore's delta sync did not bring the change: ${JSON.stringify(seen.item)}`);
    const clientDelta = await metered(proxy, () => client.dataset(DATASET).sync());
    const clientSeen = (await client.dataset(DATASET).get(itemId(changed))) as { title?: string } | undefined;
    if (!clientSeen?.title?.endsWith("version 2")) throw new Error(`the client's delta sync did not bring the change: ${JSON.stringify(clientSeen)}`);

    const count = items.toLocaleString("en-US");
    const row = (name: string, value: number, unit: string, baseline: number, baselineName: string): ResultRow => ({
      scenario: "10 model sync",
      case: name,
      value,
      unit,
      better: "lower",
      baselines: [{ name: baselineName, value: baseline }],
    });
    // DataStore's own timing (inside its process) excludes the IPC round trip; the wire bytes are the proxy's.
    const rows: ResultRow[] = [
      row(`DataStore base sync of ${count} to-dos (fake-indexeddb): seconds`, dataStoreBase.result.ms / 1000, "s", clientBase.ms / 1000, "syncpool client, same items"),
      row("the same: bytes on the wire", dataStoreBase.bytes, "B", clientBase.bytes, "syncpool client"),
      row(`DataStore delta sync of one changed to-do of ${count} (stop + start): ms`, dataStoreDelta.result.ms, "ms", clientDelta.ms, "syncpool client, dataset.sync()"),
      row("the same: bytes on the wire", dataStoreDelta.bytes, "B", clientDelta.bytes, "syncpool client"),
    ];
    return {
      name: "model-sync",
      title: "Model sync (Amplify DataStore)",
      rows,
      details: {
        items,
        origin,
        seedSeconds,
        dataStore: { baseMs: dataStoreBase.result.ms, baseBytes: dataStoreBase.bytes, deltaMs: dataStoreDelta.result.ms, deltaBytes: dataStoreDelta.bytes },
        client: { baseMs: clientBase.ms, baseBytes: clientBase.bytes, deltaMs: clientDelta.ms, deltaBytes: clientDelta.bytes },
      },
      charts: [],
    };
  } finally {
    await device?.stop();
    await client.close();
    await proxy.close();
    await server.stop();
  }
}
