/**
 * Baselines of plain HTTP on this machine, against a bare node:http server in its own process
 * (as the syncpool server is in the throughput scenarios), driven by the same global fetch the
 * scenarios use: the round trip of one small POST, requests per second at a given concurrency,
 * and the time to download a number of bodies of a given size.
 */
import { performance } from "node:perf_hooks";

const BODY = JSON.stringify({
  query: "mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }",
  variables: { input: { dataset: "bench", deviceId: "d", mutationId: "m-1", patches: [{ op: "REPLACE", key: "k", value: "x".repeat(40) }] } },
});

/** Sequential round trips (ms) of a push-sized POST to `url`. */
export async function measureHttpRoundTrips(url: string, roundTrips: number): Promise<number[]> {
  const samples: number[] = [];
  for (let round = 0; round < roundTrips + 50; round++) {
    const sentAt = performance.now();
    await (await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: BODY })).text();
    if (round >= 50) samples.push(performance.now() - sentAt);
  }
  return samples;
}

/** Requests per second with `concurrency` sequential loops of push-sized POSTs for `windowMs`. */
export async function measureHttpThroughput(url: string, concurrency: number, windowMs: number): Promise<number> {
  let completed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - started < windowMs) {
        await (await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: BODY })).text();
        completed += 1;
      }
    }),
  );
  return completed / ((performance.now() - started) / 1000);
}

/** Seconds to GET `count` bodies of `bytes` each, one after another (the floor for an initial sync of that size). */
export async function measureHttpDownload(url: string, count: number, bytes: number): Promise<number> {
  const started = performance.now();
  for (let index = 0; index < count; index++) await (await fetch(`${url}/bytes?n=${bytes}`)).arrayBuffer();
  return (performance.now() - started) / 1000;
}
