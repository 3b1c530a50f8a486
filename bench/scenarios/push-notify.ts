/**
 * Scenario 1, push-to-notify: a push committed by device A until each subscribed device of the
 * identity receives `datasetChanged`, at 10, 100, 1,000 and 5,000 subscribers (one graphql-ws
 * connection each). Folds in the former `bench/push-latency.ts`.
 *
 * Server and devices share this process and one event loop, so the commit is stamped by the first
 * listener on the change bus and arrivals in each device's `next`, on one monotonic clock; the
 * latency of the k-th device includes the server sending to the k-1 before it and the devices
 * parsing. The peer runs the same way in a child process (`procs/y-relay.ts`: the y-websocket
 * server and its Yjs clients in one process), and a plain `ws` broadcast to as many sockets is
 * the floor.
 */
import { performance } from "node:perf_hooks";
import type { Client } from "graphql-ws";
import { forkBenchChild, nextMessage } from "../lib/child-server.js";
import { startBenchServer } from "../lib/bench-server.js";
import { pushRecords, signInGuest } from "../lib/gql.js";
import { liveClient } from "../lib/live-client.js";
import type { ResultRow, ScenarioResult } from "../lib/report.js";
import { summarize, type LatencySummary } from "../lib/stats.js";
import { measureWsBroadcast } from "../baselines/ws-echo.js";
import { fileURLToPath } from "node:url";

const Y_RELAY = fileURLToPath(new URL("../procs/y-relay.ts", import.meta.url));
const WARMUP_PUSHES = 3;

/** Runs scenario 1; `quick` measures fewer pushes per count. */
export async function runPushNotify(quick: boolean): Promise<ScenarioResult> {
  // The quick run stops at 1,000 (the goal's count): 5,000 subscribers take about 30 s on their own.
  const counts = quick ? [10, 100, 1000] : [10, 100, 1000, 5000];
  const pushes: Record<number, number> = quick ? { 10: 20, 100: 10, 1000: 5, 5000: 2 } : { 10: 100, 100: 50, 1000: 25, 5000: 8 };
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = {};
  for (const subscribers of counts) {
    const fanOut = await pushFanOut(subscribers, pushes[subscribers]!);
    const commit = summarize(fanOut.fromCommit);
    const send = summarize(fanOut.fromSend);
    const peer = summarize(await yWebsocketRelay(subscribers, pushes[subscribers]!));
    const floor = summarize(await measureWsBroadcast(subscribers, pushes[subscribers]!));
    details[String(subscribers)] = { commitToDelivery: commit, pushSentToDelivery: send, yWebsocketRelay: peer, rawWsBroadcast: floor };
    rows.push({
      scenario: "1 push-to-notify",
      case: `${subscribers.toLocaleString("en-US")} subscribers, commit -> delivery`,
      value: commit.medianMs,
      p99: commit.p99Ms,
      unit: "ms",
      better: "lower",
      baselines: [
        { name: "y-websocket relay", value: peer.medianMs, p99: peer.p99Ms },
        { name: "raw ws broadcast", value: floor.medianMs, p99: floor.p99Ms },
      ],
      ...(subscribers === 1000 ? { goal: { text: "p99 < 25 ms at 1,000", met: commit.p99Ms < 25 } } : {}),
    });
  }
  const series = (name: string, pick: (entry: Record<string, LatencySummary>) => number) => ({
    name,
    points: counts.map((count): [number, number] => [count, pick(details[String(count)] as Record<string, LatencySummary>)]),
  });
  return {
    name: "push-notify",
    title: "Push-to-notify latency",
    rows,
    details,
    charts: [
      {
        file: "push-notify.svg",
        title: "Push-to-notify p99 by subscribers (lower is better)",
        xLabel: "subscribers (log)",
        yLabel: "p99 latency, ms (log)",
        kind: "line",
        logX: true,
        logY: true,
        series: [
          series("syncpool commit->delivery", (entry) => entry.commitToDelivery!.p99Ms),
          series("syncpool push sent->delivery", (entry) => entry.pushSentToDelivery!.p99Ms),
          series("y-websocket relay", (entry) => entry.yWebsocketRelay!.p99Ms),
          series("raw ws broadcast", (entry) => entry.rawWsBroadcast!.p99Ms),
        ],
      },
    ],
  };
}

/** The peer at the same count, in its own process. */
async function yWebsocketRelay(subscribers: number, edits: number): Promise<number[]> {
  const child = forkBenchChild(Y_RELAY, [String(subscribers), String(edits)]);
  const { samples } = await nextMessage<{ samples: number[] }>(child, "samples", 300_000);
  return samples;
}

/** Latencies (ms) of `pushes` pushes to `devices` subscribed graphql-ws connections of one identity. */
async function pushFanOut(devices: number, pushes: number): Promise<{ fromCommit: number[]; fromSend: number[] }> {
  const server = await startBenchServer({ storage: "sqlite", maxConnectionsPerIdentity: devices + 10 });
  const clients: Client[] = [];
  try {
    const { graphqlUrl } = server;
    const bus = server.running.server.push.bus;
    const { identityId, token } = await signInGuest(graphqlUrl);
    // The commit time of each sync count, stamped by the first listener on the bus.
    const committedAt = new Map<number, number>();
    bus.subscribe(identityId, (change) => committedAt.set(change.syncCount, performance.now()));

    let failure: Error | undefined;
    let waiting: { syncCount: number; resolve: () => void; reject: (error: Error) => void } | undefined;
    const fail = (error: Error) => {
      failure ??= error;
      waiting?.reject(error);
    };
    const arrivals = new Map<number, number[]>();
    const onEvent = (syncCount: number) => {
      const list = arrivals.get(syncCount) ?? [];
      list.push(performance.now());
      arrivals.set(syncCount, list);
      if (waiting && waiting.syncCount === syncCount && list.length === devices) waiting.resolve();
    };
    for (let index = 0; index < devices; index++) {
      const client = liveClient(graphqlUrl, token);
      clients.push(client);
      client.subscribe<{ datasetChanged: { syncCount: number } }>(
        { query: `subscription { datasetChanged(dataset: "bench") { syncCount deviceId mutationId records { key value syncCount } } }` },
        {
          next: (result) => (result.data ? onEvent(result.data.datasetChanged.syncCount) : fail(new Error(JSON.stringify(result.errors)))),
          error: (error) => fail(new Error(`a device's subscription failed: ${String((error as { code?: number }).code ?? error)}`)),
          complete: () => undefined,
        },
      );
      // Let the server keep up with the handshakes instead of queueing thousands at once.
      if (index % 250 === 249) await waitFor(() => bus.listenerCount() >= index - 100, () => failure, 60_000);
    }
    // Every device is listening once the bus has its listener (plus the stamp listener).
    await waitFor(() => bus.listenerCount() >= devices + 1, () => failure, 120_000);

    const fromCommit: number[] = [];
    const fromSend: number[] = [];
    for (let push = 1; push <= WARMUP_PUSHES + pushes; push++) {
      const delivered = new Promise<void>((resolve, reject) => {
        waiting = { syncCount: push, resolve, reject };
        setTimeout(() => reject(new Error(`push ${push}: ${arrivals.get(push)?.length ?? 0} of ${devices} devices heard it within 30 s`)), 30_000).unref();
      });
      const sentAt = performance.now();
      await pushRecords(graphqlUrl, token, { dataset: "bench", deviceId: "writer", mutationId: `m-${push}`, patches: [{ op: "REPLACE", key: "k", value: `value ${push}` }] });
      await delivered;
      if (push > WARMUP_PUSHES) {
        for (const arrivedAt of arrivals.get(push)!) {
          fromCommit.push(arrivedAt - committedAt.get(push)!);
          fromSend.push(arrivedAt - sentAt);
        }
      }
      arrivals.delete(push);
    }
    return { fromCommit, fromSend };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await server.close();
  }
}

async function waitFor(done: () => boolean, failure: () => Error | undefined, timeoutMs: number): Promise<void> {
  for (let waited = 0; !done(); waited += 20) {
    const error = failure();
    if (error) throw error;
    if (waited > timeoutMs) throw new Error(`not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
