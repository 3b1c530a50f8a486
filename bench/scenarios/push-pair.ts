/**
 * Scenario 2b, push over the live connection: 500 identities with two devices each, every device
 * holding one graphql-ws connection with its `datasetChanged` subscription (1,000 connections).
 * One push at a time, identity after identity, device A sends `pushRecords` over its own socket
 * (as the client does while its live connection is open); the latency is from sending it to
 * device B of the same identity receiving the change. Server and devices share this process and
 * one event loop, as in scenario 1.
 *
 * The peer, in the same run: the y-websocket server persisting to LevelDB through y-leveldb, 500
 * rooms of two Yjs clients (`procs/y-pair.ts`), one edit at a time, edit to the other client.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { Client } from "graphql-ws";
import { startBenchServer } from "../lib/bench-server.js";
import { forkBenchChild, nextMessage } from "../lib/child-server.js";
import { signInGuests } from "../lib/gql.js";
import { liveClient } from "../lib/live-client.js";
import type { ScenarioResult } from "../lib/report.js";
import { summarize } from "../lib/stats.js";

const Y_PAIR = fileURLToPath(new URL("../procs/y-pair.ts", import.meta.url));
const IDENTITIES = 500;
const WARMUP_PUSHES = 20;
const PUSH = `mutation Push($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }`;

/** Runs scenario 2b; `quick` measures fewer pushes. */
export async function runPushPair(quick: boolean): Promise<ScenarioResult> {
  const pushes = quick ? 200 : 1000;
  const measured = await pairLatencies(IDENTITIES, pushes);
  const syncpool = summarize(measured.sentToOther);
  const levelDir = mkdtempSync(join(tmpdir(), "syncpool-bench-y-leveldb-"));
  let peer;
  try {
    const child = forkBenchChild(Y_PAIR, [String(IDENTITIES), String(pushes), levelDir]);
    peer = summarize((await nextMessage<{ samples: number[] }>(child, "samples", 300_000)).samples);
  } finally {
    rmSync(levelDir, { recursive: true, force: true });
  }
  return {
    name: "push-pair",
    title: "Push over the live connection: pair latency",
    rows: [
      {
        scenario: "2b push over WebSocket",
        case: `1,000 connections (${IDENTITIES} identities x 2), push on one device -> the other notified`,
        value: syncpool.medianMs,
        p99: syncpool.p99Ms,
        unit: "ms",
        better: "lower",
        baselines: [{ name: "y-websocket + y-leveldb", value: peer.medianMs, p99: peer.p99Ms }],
      },
      // The server and both devices' clients share this process: CPU per push, steadier than latency on a shared machine.
      { scenario: "2b push over WebSocket", case: "process CPU per push (server and its 1,000 devices in one process, all threads, less their idle rate)", value: measured.cpuMsPerPush, unit: "ms", better: "lower", baselines: [] },
    ],
    // Where syncpool's time goes: sending and committing, then the notice reaching device B.
    details: { pushes, cpuMsPerPush: measured.cpuMsPerPush, syncpool, sentToCommit: summarize(measured.sentToCommit), commitToOther: summarize(measured.commitToOther), yWebsocketLeveldb: peer },
    charts: [],
  };
}

/** The push whose notice device B is waiting for. */
interface Waiting {
  identity: number;
  syncCount: number;
  committedAt?: number;
  resolve: (arrivedAt: number) => void;
}

/**
 * Latencies (ms) of `pushes` pushes, each from device A of an identity to its device B, and split
 * at the commit (stamped by a listener on the change bus, first in line for the identity).
 */
async function pairLatencies(identities: number, pushes: number): Promise<{ sentToOther: number[]; sentToCommit: number[]; commitToOther: number[]; cpuMsPerPush: number }> {
  const server = await startBenchServer({ storage: "sqlite" });
  const clients: Client[] = [];
  try {
    const { graphqlUrl } = server;
    const bus = server.running.server.push.bus;
    const guests = await signInGuests(graphqlUrl, identities);
    let failure: Error | undefined;
    let waiting: Waiting | null = null;
    const connect = (token: string) => {
      const client = liveClient(graphqlUrl, token);
      clients.push(client);
      return client;
    };
    const subscribe = (client: Client, onChange: (syncCount: number) => void) =>
      client.subscribe<{ datasetChanged: { syncCount: number } }>(
        { query: `subscription { datasetChanged(dataset: "bench") { syncCount deviceId mutationId records { key value syncCount } } }` },
        {
          next: (result) => (result.data ? onChange(result.data.datasetChanged.syncCount) : (failure ??= new Error(JSON.stringify(result.errors)))),
          error: (error) => (failure ??= new Error(`a device's subscription failed: ${String((error as { code?: number }).code ?? JSON.stringify(error))}`)),
          complete: () => undefined,
        },
      );
    const devices = guests.map((guest, identity) => {
      bus.subscribe(guest.identityId, (change) => {
        if (waiting?.identity === identity && waiting.syncCount === change.syncCount) waiting.committedAt = performance.now();
      });
      const a = connect(guest.token);
      const b = connect(guest.token);
      // A hears its own pushes too, as a live client does (and skips them by mutation id).
      subscribe(a, () => undefined);
      subscribe(b, (syncCount) => {
        if (waiting?.identity === identity && waiting.syncCount === syncCount) waiting.resolve(performance.now());
      });
      return { a, guest };
    });
    // Two devices' subscriptions and the commit stamp per identity.
    for (let waited = 0; bus.listenerCount() < 3 * identities; waited += 20) {
      if (failure) throw failure;
      if (waited > 120_000) throw new Error(`only ${bus.listenerCount()} of ${3 * identities} listeners within 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const samples = { sentToOther: [] as number[], sentToCommit: [] as number[], commitToOther: [] as number[] };
    const syncCounts = new Array<number>(identities).fill(0);
    // The 1,000 idle connections cost CPU of their own (timers, keep-alive): their rate, over an idle second, is taken off.
    const idleFrom = process.cpuUsage();
    const idleStartedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idleCpu = process.cpuUsage(idleFrom);
    const idleCpuMsPerMs = (idleCpu.user + idleCpu.system) / 1000 / (performance.now() - idleStartedAt);
    let cpuAtStart = process.cpuUsage();
    let cpuStartedAt = performance.now();
    for (let push = 0; push < WARMUP_PUSHES + pushes; push++) {
      if (push === WARMUP_PUSHES) [cpuAtStart, cpuStartedAt] = [process.cpuUsage(), performance.now()];
      const identity = push % identities;
      const { a } = devices[identity]!;
      const syncCount = ++syncCounts[identity]!;
      const current: Waiting = { identity, syncCount, resolve: () => undefined };
      const arrived = new Promise<number>((resolve, reject) => {
        current.resolve = resolve;
        waiting = current;
        setTimeout(() => reject(failure ?? new Error(`push ${push}: device B did not hear it within 30 s`)), 30_000).unref();
      });
      const sentAt = performance.now();
      const input = { dataset: "bench", deviceId: "a", mutationId: `m-${push}`, patches: [{ op: "REPLACE", key: "k", value: `value ${push}` }] };
      a.subscribe({ query: PUSH, variables: { input } }, { next: () => undefined, error: (error) => (failure ??= new Error(`push ${push} failed: ${JSON.stringify(error)}`)), complete: () => undefined });
      const arrivedAt = await arrived;
      if (push >= WARMUP_PUSHES) {
        const committedAt = current.committedAt ?? arrivedAt;
        samples.sentToOther.push(arrivedAt - sentAt);
        samples.sentToCommit.push(committedAt - sentAt);
        samples.commitToOther.push(arrivedAt - committedAt);
      }
    }
    const cpu = process.cpuUsage(cpuAtStart);
    const idleMs = idleCpuMsPerMs * (performance.now() - cpuStartedAt);
    return { ...samples, cpuMsPerPush: ((cpu.user + cpu.system) / 1000 - idleMs) / pushes };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await server.close();
  }
}
