/**
 * Scenario 3, initial and delta sync with the real client (`createClient`, fake-indexeddb in
 * Node): a fresh device of an identity that holds 20 datasets of about 1 MB each (1,000 records
 * of ~1 KB) pulls everything; then another device changes one key of one dataset and the first
 * device syncs again, once that dataset alone (what a push notification asks for) and once every
 * dataset (`client.sync()`). Bytes on the wire are counted by a TCP proxy between client and
 * server (HTTP headers included).
 *
 * Baselines: the same number of bytes downloaded from a bare node:http server in 20 requests of
 * 1 MB; for the delta, the changed record's own bytes (key + value).
 */
import { performance } from "node:perf_hooks";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { createClient } from "../../client/index.js";
import { startByteCountingProxy } from "../lib/byte-counting-proxy.js";
import { startChildServer } from "../lib/child-server.js";
import { pushRecords, signInGuest } from "../lib/gql.js";
import type { ResultRow, ScenarioResult } from "../lib/report.js";
import { measureHttpDownload } from "../baselines/http-round-trip.js";

const DATASETS = 20;
const RECORDS_PER_DATASET = 1000;
/** Key `r0000` (5 bytes) + value: 1,000 records stay under the 1 MiB dataset limit. */
const VALUE_BYTES = 1038;
const PATCHES_PER_SEED_PUSH = 250;

/** Runs scenario 3 (the same sizes quick or full: it is the goal's size). */
export async function runInitialSync(_quick: boolean, httpUrl: string): Promise<ScenarioResult> {
  const server = await startChildServer("syncpool", { storage: "sqlite" });
  const proxy = await startByteCountingProxy(server.url);
  const graphqlUrl = `${proxy.origin}/graphql`;
  try {
    const guest = await signInGuest(server.url);
    const seedStarted = performance.now();
    for (let dataset = 0; dataset < DATASETS; dataset++) {
      for (let first = 0; first < RECORDS_PER_DATASET; first += PATCHES_PER_SEED_PUSH) {
        const patches = Array.from({ length: PATCHES_PER_SEED_PUSH }, (_, offset) => ({ op: "REPLACE" as const, key: key(first + offset), value: valueOf(dataset, first + offset, 0) }));
        await pushRecords(server.url, guest.token, { dataset: datasetName(dataset), deviceId: "seeder", mutationId: `seed-${dataset}-${first}`, patches });
      }
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const client = createClient({
      endpoint: graphqlUrl,
      identityPoolId: "default",
      indexedDB: new IDBFactory(),
      IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange,
      autoSync: false,
      intervalMs: 0,
    });
    try {
      await client.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret });
      const before = proxy.counted();
      const started = performance.now();
      await client.sync();
      const initialSeconds = (performance.now() - started) / 1000;
      const initial = difference(proxy.counted(), before);
      const pulled = Object.keys(await client.dataset(datasetName(DATASETS - 1)).getAll()).length;
      if (pulled !== RECORDS_PER_DATASET) throw new Error(`the fresh client holds ${pulled} records of the last dataset, expected ${RECORDS_PER_DATASET}`);

      // Another device changes one key of a full dataset.
      const changed = datasetName(7);
      const changedValue = valueOf(7, 500, 1);
      await pushRecords(server.url, guest.token, { dataset: changed, deviceId: "other-device", mutationId: "delta-1", patches: [{ op: "REPLACE", key: key(500), value: changedValue }] });
      const beforeOne = proxy.counted();
      await client.dataset(changed).sync();
      const deltaOne = difference(proxy.counted(), beforeOne);
      if ((await client.dataset(changed).get(key(500))) !== changedValue) throw new Error("the delta sync did not bring the changed value");
      await pushRecords(server.url, guest.token, { dataset: changed, deviceId: "other-device", mutationId: "delta-2", patches: [{ op: "REPLACE", key: key(501), value: valueOf(7, 501, 1) }] });
      const beforeAll = proxy.counted();
      await client.sync();
      const deltaAll = difference(proxy.counted(), beforeAll);

      const totalRecords = DATASETS * RECORDS_PER_DATASET;
      const datasetBytes = RECORDS_PER_DATASET * (key(0).length + VALUE_BYTES);
      const downloadSeconds = await measureHttpDownload(httpUrl, DATASETS, datasetBytes);
      const changedRecordBytes = key(500).length + changedValue.length;
      const rows: ResultRow[] = [
        {
          scenario: "3 initial sync",
          case: `fresh client pulls ${DATASETS} x ~1 MB (${totalRecords.toLocaleString("en-US")} records): seconds`,
          value: initialSeconds,
          unit: "s",
          better: "lower",
          baselines: [{ name: `raw HTTP GET of ${DATASETS} x ${(datasetBytes / 1e6).toFixed(2)} MB`, value: downloadSeconds }],
          goal: { text: "20 MB under 5 s", met: initialSeconds < 5 },
        },
        {
          scenario: "3 initial sync",
          case: "records per second",
          value: totalRecords / initialSeconds,
          unit: "records/s",
          better: "higher",
          baselines: [{ name: "raw HTTP GET, same bytes, as records/s", value: totalRecords / downloadSeconds }],
        },
        {
          scenario: "3 delta sync",
          case: "one changed key (~1 KB value) in a full 1 MB dataset, that dataset synced: bytes on the wire",
          value: deltaOne.sentBytes + deltaOne.receivedBytes,
          unit: "B",
          better: "lower",
          baselines: [{ name: "the changed record's key + value", value: changedRecordBytes }],
          goal: { text: "under 2 KB", met: deltaOne.sentBytes + deltaOne.receivedBytes < 2048 },
        },
        {
          scenario: "3 delta sync",
          case: "the same, every dataset synced (client.sync(), 20 datasets)",
          value: deltaAll.sentBytes + deltaAll.receivedBytes,
          unit: "B",
          better: "lower",
          baselines: [{ name: "the changed record's key + value", value: changedRecordBytes }],
        },
      ];
      return {
        name: "initial-sync",
        title: "Initial and delta sync",
        rows,
        details: { seedSeconds, initialSeconds, initialBytes: initial, deltaOneDataset: deltaOne, deltaAllDatasets: deltaAll, rawDownloadSeconds: downloadSeconds, datasetBytes, changedRecordBytes },
        charts: [
          {
            file: "initial-sync.svg",
            title: "Initial sync of 20 x 1 MB, seconds (lower is better)",
            xLabel: "",
            yLabel: "seconds",
            kind: "bar",
            categories: ["syncpool client (fake-indexeddb)", "raw HTTP GET"],
            series: [{ name: "seconds", points: [[0, initialSeconds], [1, downloadSeconds]] }],
          },
        ],
      };
    } finally {
      await client.close();
    }
  } finally {
    await proxy.close();
    await server.stop();
  }
}

function datasetName(index: number): string {
  return `dataset-${String(index).padStart(2, "0")}`;
}

function key(index: number): string {
  return `r${String(index).padStart(4, "0")}`;
}

/** A ~1 KB value that differs per dataset, record and version. */
function valueOf(dataset: number, record: number, version: number): string {
  const head = `${dataset}:${record}:${version}:`;
  return head + "abcdefghijklmnopqrstuvwxyz0123456789".repeat(30).slice(0, VALUE_BYTES - head.length);
}

function difference(after: { sentBytes: number; receivedBytes: number }, before: { sentBytes: number; receivedBytes: number }) {
  return { sentBytes: after.sentBytes - before.sentBytes, receivedBytes: after.receivedBytes - before.receivedBytes };
}
