/**
 * Scenario 5, the event stream: events appended per second during a write storm (16 clients of
 * single-patch pushes; every committed push appends one event in its transaction), events read per
 * second through the admin API (`streamRecords`, pages of 1,000, every shard from TRIM_HORIZON),
 * and the lag of an in-process consumer during the storm (handled time minus append time) and
 * after it (until it has handled the last event). The server runs in its own process with a
 * consumer that records each event's lag; one push per writer, handled before the storm, is
 * counted in none of these.
 *
 * Baselines: appends (the events read back afterwards, per second of storm) against the storm's
 * pushes per second and better-sqlite3's own commits per second (FULL); reading against a
 * bare HTTP server serving the same bytes in as many requests. Consumer lag has no peer (neither
 * y-websocket nor a raw library has a stream): it is quoted against the push it follows, the
 * median push latency during the storm.
 */
import { performance } from "node:perf_hooks";
import { startChildServer } from "../lib/child-server.js";
import { BENCH_ADMIN_TOKEN } from "../lib/bench-server.js";
import { gql, pushRecords, signInGuests } from "../lib/gql.js";
import type { ResultRow, ScenarioResult } from "../lib/report.js";
import { summarize } from "../lib/stats.js";
import type { SqliteInsertBaseline } from "../baselines/sqlite-inserts.js";
import { measureHttpDownload } from "../baselines/http-round-trip.js";

const WRITERS = 16;
/** Events appended before the storm (one per writer), not counted in it. */
const WARM_UP = WRITERS;

/** Runs scenario 5. */
export async function runStream(quick: boolean, sqlite: SqliteInsertBaseline, httpUrl: string): Promise<ScenarioResult> {
  const stormMs = quick ? 1500 : 8000;
  const server = await startChildServer("syncpool", { storage: "sqlite", consumer: true });
  try {
    const guests = await signInGuests(server.url, WRITERS);
    // Warm-up: one push per writer, handled before the storm starts, so the consumer has its
    // worker and lease for every shard the storm writes to. On a fresh server the first event of
    // a shard waits for that lease to be taken (a write of its own), once.
    await Promise.all(guests.map((guest, writer) => pushRecords(server.url, guest.token, { dataset: "storm", deviceId: `writer-${writer}`, mutationId: "warm-up", patches: [{ op: "REPLACE", key: "k0", value: "x".repeat(40) }] })));
    for (const waitStarted = performance.now(); (await server.lag()).handled < WARM_UP && performance.now() - waitStarted < 30_000; ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // The storm.
    let pushes = 0;
    const pushLatencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      guests.map(async (guest, writer) => {
        for (let push = 0; performance.now() - started < stormMs; push++) {
          const sentAt = performance.now();
          await pushRecords(server.url, guest.token, { dataset: "storm", deviceId: `writer-${writer}`, mutationId: `s-${push}`, patches: [{ op: "REPLACE", key: `k${push % 100}`, value: "x".repeat(40) }] });
          pushLatencies.push(performance.now() - sentAt);
          pushes += 1;
        }
      }),
    );
    const stormSeconds = (performance.now() - started) / 1000;
    const duringStorm = await server.lag();
    // Drain: how long after the last commit until the consumer has handled every event.
    const drainStarted = performance.now();
    let handled = duringStorm.handled;
    const afterStorm: number[] = [];
    while (handled < WARM_UP + pushes && performance.now() - drainStarted < 30_000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const next = await server.lag();
      handled = next.handled;
      afterStorm.push(...next.lagMs);
    }
    const drainMs = performance.now() - drainStarted;
    const lag = summarize([...duringStorm.lagMs, ...afterStorm]);

    // Reading everything back through the admin API.
    const readStarted = performance.now();
    let read = 0;
    let pages = 0;
    let readBytes = 0;
    const shards = await gql<{ streamShards: Array<{ shard: number }> }>(server.url, `query { streamShards(identityPoolId: "default") { shard } }`, {}, BENCH_ADMIN_TOKEN);
    for (const { shard } of shards.streamShards) {
      let variables: Record<string, unknown> = { shard, iterator: { type: "TRIM_HORIZON" }, next: null };
      for (;;) {
        const response = await fetch(server.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_ADMIN_TOKEN}` },
          body: JSON.stringify({
            query: `query ($shard: Int!, $iterator: ShardIteratorInput, $next: String) { streamRecords(identityPoolId: "default", shard: $shard, iterator: $iterator, nextIterator: $next, limit: 1000) { records { sequenceNumber data } nextIterator } }`,
            variables,
          }),
        });
        const text = await response.text();
        readBytes += text.length;
        pages += 1;
        const page = (JSON.parse(text) as { data: { streamRecords: { records: unknown[]; nextIterator: string } } }).data.streamRecords;
        if (page.records.length === 0) break;
        read += page.records.length;
        variables = { shard, iterator: null, next: page.nextIterator };
      }
    }
    const readSeconds = (performance.now() - readStarted) / 1000;
    const rawReadSeconds = await measureHttpDownload(httpUrl, pages, Math.round(readBytes / pages));
    const push = summarize(pushLatencies);
    const rows: ResultRow[] = [
      {
        scenario: "5 stream",
        case: `events appended per second (write storm, ${WRITERS} clients)`,
        // The events read back from the stream afterwards, all but the warm-up's appended during the storm.
        value: (read - WARM_UP) / stormSeconds,
        unit: "events/s",
        better: "higher",
        baselines: [
          { name: "pushes/s in the storm", value: pushes / stormSeconds },
          { name: "better-sqlite3 commits/s (FULL)", value: sqlite.commitEachFullPerSecond },
        ],
      },
      {
        scenario: "5 stream",
        case: `events read per second (streamRecords, ${read.toLocaleString("en-US")} events in ${pages} pages)`,
        value: read / readSeconds,
        unit: "events/s",
        better: "higher",
        baselines: [{ name: "raw HTTP GET of the same bytes, as events/s", value: read / rawReadSeconds }],
      },
      {
        scenario: "5 stream",
        case: "consumer lag during the storm (append -> handled)",
        value: lag.medianMs,
        p99: lag.p99Ms,
        unit: "ms",
        better: "lower",
        baselines: [{ name: "push latency in the storm", value: push.medianMs, p99: push.p99Ms }],
      },
    ];
    return {
      name: "stream",
      title: "Event stream",
      rows,
      details: { stormSeconds, pushes, appendedPerSecond: pushes / stormSeconds, pushLatency: push, consumerLag: lag, consumerHandled: handled, drainAfterStormMs: drainMs, read, pages, readBytes, readSeconds, rawReadSeconds },
      charts: [],
    };
  } finally {
    await server.stop();
  }
}
