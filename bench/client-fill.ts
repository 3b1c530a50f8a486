/**
 * Client bench: filling one dataset with 1,024 records under fake-indexeddb, the way an app's
 * first import does. Each local write checks the dataset limits; with running totals that check
 * is O(1), so the fill is linear. Measures a loop of `put()` and one `putMany()`; prints the
 * times as JSON. Not part of `bench/run.ts` (no server is involved):
 *
 *   npx tsx bench/client-fill.ts            (target: the put loop under 2 s)
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { performance } from "node:perf_hooks";
import { createClient, type Transport } from "../client/index.js";

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1024);

/** A transport that only signs in: the bench never syncs (autoSync off). */
function offlineTransport(): Transport {
  const refuse = () => Promise.reject(new Error("the client-fill bench does not sync"));
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

/** Wall and CPU milliseconds of one fill (CPU time says more on a busy machine). */
async function fill(mode: "put" | "putMany"): Promise<{ wallMs: number; cpuMs: number }> {
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
  const entries = Array.from({ length: RECORDS }, (_, index) => [`key-${index}`, `value-${index}`] as const);
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  if (mode === "put") for (const [key, value] of entries) await dataset.put(key, value);
  else await dataset.putMany(entries);
  const wallMs = Math.round(performance.now() - started);
  const cpu = process.cpuUsage(cpuStarted);
  const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  if ((await dataset.recordCount()) !== RECORDS) throw new Error(`expected ${RECORDS} records`);
  await client.close();
  return { wallMs, cpuMs };
}

const putLoop = await fill("put");
const putMany = await fill("putMany");
console.log(JSON.stringify({ records: RECORDS, putLoop, putMany, targetMs: 2000 }));
