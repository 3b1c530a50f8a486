/**
 * Scenario 7, client fill: one dataset filled with 1,024 records under fake-indexeddb, the way an
 * app's first import does, with no server (sync is off). Each local write checks the dataset's
 * limits against running totals, so the fill is linear. Measured: a loop of `put()` and one
 * `putMany()`, each against raw IndexedDB doing the same writes on the same fake-indexeddb in
 * this run (one transaction per record for the loop, one for the batch). Goal: the `put()` loop
 * under 2 s.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { performance } from "node:perf_hooks";
import { createClient, type Transport } from "../../client/index.js";
import type { ResultRow, ScenarioResult } from "../lib/report.js";

const RECORDS = 1024;
const GOAL_MS = 2000;

/** A transport that only signs in: the scenario never syncs. */
function offlineTransport(): Transport {
  const refuse = () => Promise.reject(new Error("the client-fill scenario does not sync"));
  return {
    signIn: async () => ({ identityId: "local:00000000-0000-4000-8000-000000000001", token: "t", expiresAt: Date.now() + 3_600_000, deviceSecret: "s", mergedIdentityIds: [] }),
    records: refuse,
    pushRecords: refuse,
    datasets: refuse,
    configureDataset: refuse,
    deleteDataset: refuse,
    usage: refuse,
  };
}

const entries = () => Array.from({ length: RECORDS }, (_, index) => [`key-${index}`, `value-${index}`] as const);

/** Milliseconds to fill one dataset through the client, by `put()` calls or one `putMany()`. */
async function clientFill(mode: "put" | "putMany"): Promise<number> {
  const client = createClient({
    endpoint: "bench:",
    identityPoolId: "default",
    transport: offlineTransport(),
    indexedDB: new IDBFactory(),
    IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange,
    autoSync: false,
    intervalMs: 0,
  });
  await client.signIn();
  const dataset = client.dataset("fill");
  const started = performance.now();
  if (mode === "put") for (const [key, value] of entries()) await dataset.put(key, value);
  else await dataset.putMany(entries());
  const elapsedMs = performance.now() - started;
  if ((await dataset.recordCount()) !== RECORDS) throw new Error(`expected ${RECORDS} records`);
  await client.close();
  return elapsedMs;
}

const request = <T>(req: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
const done = (tx: IDBTransaction) =>
  new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });

/** Milliseconds for raw IndexedDB to write the same records: one transaction each, or one for all. */
async function rawFill(mode: "per-record" | "one-transaction"): Promise<number> {
  const openRequest = new IDBFactory().open("raw", 1);
  openRequest.onupgradeneeded = () => openRequest.result.createObjectStore("records");
  const db = await request(openRequest);
  const started = performance.now();
  if (mode === "per-record") {
    for (const [key, value] of entries()) {
      const tx = db.transaction("records", "readwrite");
      tx.objectStore("records").put({ key, value }, key);
      await done(tx);
    }
  } else {
    const tx = db.transaction("records", "readwrite");
    for (const [key, value] of entries()) tx.objectStore("records").put({ key, value }, key);
    await done(tx);
  }
  const elapsedMs = performance.now() - started;
  db.close();
  return elapsedMs;
}

export async function runClientFill(): Promise<ScenarioResult> {
  const rawPerRecord = await rawFill("per-record");
  const putLoop = await clientFill("put");
  const rawBatch = await rawFill("one-transaction");
  const putMany = await clientFill("putMany");
  const rows: ResultRow[] = [
    {
      scenario: "7 client fill",
      case: `${RECORDS.toLocaleString("en-US")} put() calls into one dataset (fake-indexeddb)`,
      value: putLoop,
      unit: "ms",
      better: "lower",
      baselines: [{ name: "raw IndexedDB, one transaction per record", value: rawPerRecord }],
      goal: { text: `under ${GOAL_MS} ms`, met: putLoop < GOAL_MS },
    },
    {
      scenario: "7 client fill",
      case: `one putMany() of ${RECORDS.toLocaleString("en-US")} records`,
      value: putMany,
      unit: "ms",
      better: "lower",
      baselines: [{ name: "raw IndexedDB, one transaction", value: rawBatch }],
    },
  ];
  return { name: "client-fill", title: "Client fill", rows, details: { records: RECORDS, putLoopMs: putLoop, putManyMs: putMany, rawPerRecordMs: rawPerRecord, rawBatchMs: rawBatch }, charts: [] };
}
