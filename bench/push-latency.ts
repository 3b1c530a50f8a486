/**
 * Push latency: from a push's commit to the `datasetChanged` event arriving on the identity's
 * other connected devices, at 100 and 1,000 subscribed devices (one graphql-ws connection each),
 * against two baselines measured in the same run: a raw `ws` echo round trip (one connection), and
 * a raw `ws` broadcast of one small message to as many plain sockets.
 *
 * Everything runs in this process (server, devices, baselines), so the commit time is read from
 * the change bus the moment the push publishes (a listener registered before the devices'), and
 * arrival is stamped in each device's `next` callback, on one monotonic clock. The server and its
 * devices share one event loop: a delivery's latency includes the server serializing and sending
 * to every device before it, and the devices parsing; that is the fan-out cost being measured.
 *
 *   npx tsx bench/push-latency.ts            (asserts nothing; prints a table)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createClient, type Client } from "graphql-ws";
import WebSocket, { WebSocketServer } from "ws";
import { loadConfig, poolSettingsSchema } from "../server/config.js";
import { silentLogger } from "../server/logger.js";
import { startServer, type RunningServer } from "../server/node.js";
import { DEFAULT_PUSH_CONFIG } from "../server/push/push-config.js";

const DEVICE_COUNTS = [100, 1000];
const PUSHES_PER_RUN: Record<number, number> = { 100: 40, 1000: 20 };
const WARMUP_PUSHES = 3;
const ECHO_ROUND_TRIPS = 2000;
const BROADCASTS = 40;

interface Row {
  scenario: string;
  samples: number[];
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  rows.push({ scenario: "raw ws echo round trip (1 connection)", samples: await rawEcho() });
  for (const devices of DEVICE_COUNTS) {
    rows.push({ scenario: `raw ws broadcast to ${devices} sockets`, samples: await rawBroadcast(devices) });
    rows.push({ scenario: `datasetChanged to ${devices} devices`, samples: await pushFanOut(devices) });
  }
  printTable(rows);
}

/** Push commit → event on every subscribed device, for `devices` graphql-ws connections of one identity. */
async function pushFanOut(devices: number): Promise<number[]> {
  const dataDir = mkdtempSync(join(tmpdir(), "syncpool-bench-"));
  let running: RunningServer | undefined;
  const clients: Client[] = [];
  try {
    const config = {
      ...loadConfig({ LOG_LEVEL: "silent" }, { port: 0, host: "127.0.0.1", dataDir }),
      sqliteSynchronous: "NORMAL" as const,
      push: { ...DEFAULT_PUSH_CONFIG, maxConnectionsPerIdentity: devices + 10 },
      // One identity opening 1,000 connections at once is the benchmark, not a flood: lift the
      // per-identity and per-address request rates (each connection and subscription takes a token).
      pools: [poolSettingsSchema.parse({ id: "default", rateLimits: { perIdentity: { burst: 100_000, perSecond: 100_000 }, perAddress: { burst: 100_000, perSecond: 100_000 } } })],
    };
    running = await startServer(config, { logger: silentLogger() });
    const { graphqlUrl } = running;
    const { identityId, token } = await gql<{ signIn: { identityId: string; token: string } }>(
      graphqlUrl,
      `mutation { signIn(input: { identityPoolId: "default" }) { identityId token } }`,
    ).then((data) => data.signIn);

    // The commit time of each sync count, stamped by the first listener on the bus.
    const committedAt = new Map<number, number>();
    running.server.push.bus.subscribe(identityId, (change) => committedAt.set(change.syncCount, performance.now()));

    let failure: Error | undefined;
    const fail = (error: Error) => {
      failure ??= error;
      waiting?.reject(error);
    };
    const arrivals = new Map<number, number[]>();
    let waiting: { syncCount: number; resolve: () => void; reject: (error: Error) => void } | undefined;
    const onEvent = (syncCount: number) => {
      const list = arrivals.get(syncCount) ?? [];
      list.push(performance.now());
      arrivals.set(syncCount, list);
      if (waiting && waiting.syncCount === syncCount && list.length === devices) waiting.resolve();
    };
    for (let index = 0; index < devices; index++) {
      const client = createClient({
        url: graphqlUrl.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => undefined,
      });
      clients.push(client);
      client.subscribe<{ datasetChanged: { syncCount: number } }>(
        { query: `subscription { datasetChanged(dataset: "bench") { syncCount deviceId mutationId records { key value syncCount } } }` },
        {
          next: (result) => (result.data ? onEvent(result.data.datasetChanged.syncCount) : fail(new Error(JSON.stringify(result.errors)))),
          error: (error) => fail(new Error(`a device's subscription failed: ${describeError(error)}`)),
          complete: () => undefined,
        },
      );
    }
    // Every device is listening once the bus has its listener (plus the stamp listener).
    for (let waited = 0; running.server.push.bus.listenerCount() < devices + 1; waited += 20) {
      if (failure) throw failure;
      if (waited > 60_000) throw new Error(`only ${running.server.push.bus.listenerCount() - 1} of ${devices} devices subscribed within 60 s`);
      await sleep(20);
    }

    const samples: number[] = [];
    for (let push = 1; push <= WARMUP_PUSHES + PUSHES_PER_RUN[devices]!; push++) {
      const delivered = new Promise<void>((resolve, reject) => {
        waiting = { syncCount: push, resolve, reject };
        setTimeout(() => reject(new Error(`push ${push}: ${arrivals.get(push)?.length ?? 0} of ${devices} devices heard it within 30 s`)), 30_000).unref();
      });
      await gql(graphqlUrl, `mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }`, {
        input: { dataset: "bench", deviceId: "writer", mutationId: `m-${push}`, patches: [{ op: "REPLACE", key: "k", value: `value ${push}` }] },
      }, token);
      await delivered;
      if (push > WARMUP_PUSHES) samples.push(...arrivals.get(push)!.map((arrivedAt) => arrivedAt - committedAt.get(push)!));
    }
    return samples;
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await running?.close(1000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Round trips of a small message to a plain ws echo server. */
async function rawEcho(): Promise<number[]> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  server.on("connection", (socket) => socket.on("message", (data) => socket.send(data)));
  const client = await openSocket(server);
  const samples: number[] = [];
  for (let round = 0; round < ECHO_ROUND_TRIPS + 100; round++) {
    const sentAt = performance.now();
    const echoed = new Promise((resolve) => client.once("message", resolve));
    client.send(JSON.stringify({ round, payload: "value" }));
    await echoed;
    if (round >= 100) samples.push(performance.now() - sentAt);
  }
  client.close();
  await new Promise((resolve) => server.close(resolve));
  return samples;
}

/** One small message sent by a plain ws server to `count` sockets; latency to each arrival. */
async function rawBroadcast(count: number): Promise<number[]> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  const clients = await Promise.all(Array.from({ length: count }, () => openSocket(server)));
  while (server.clients.size < count) await sleep(10);
  const samples: number[] = [];
  for (let round = 0; round < BROADCASTS + 3; round++) {
    let arrived = 0;
    const times: number[] = [];
    const all = new Promise<void>((resolve) => {
      for (const client of clients) {
        client.once("message", () => {
          times.push(performance.now());
          if (++arrived === count) resolve();
        });
      }
    });
    const sentAt = performance.now();
    const message = JSON.stringify({ data: { datasetChanged: { syncCount: round, records: [{ key: "k", value: `value ${round}` }] } } });
    for (const socket of server.clients) socket.send(message);
    await all;
    if (round >= 3) samples.push(...times.map((time) => time - sentAt));
  }
  for (const client of clients) client.close();
  await new Promise((resolve) => server.close(resolve));
  return samples;
}

function openSocket(server: WebSocketServer): Promise<WebSocket> {
  const { port } = server.address() as { port: number };
  const socket = new WebSocket(`ws://127.0.0.1:${port}`);
  return new Promise((resolve, reject) => {
    socket.once("open", () => resolve(socket));
    socket.once("error", reject);
  });
}

async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data as T;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function printTable(rows: Row[]): void {
  const echo = rows[0]!;
  const echoP50 = percentile(echo.samples, 50);
  const echoP99 = percentile(echo.samples, 99);
  const header = ["scenario", "samples", "p50 ms", "p99 ms", "p50/echo", "p99/echo", "p50/raw same N", "p99/raw same N"];
  const lines = rows.map((row, index) => {
    const p50 = percentile(row.samples, 50);
    const p99 = percentile(row.samples, 99);
    // A datasetChanged row follows the raw broadcast to as many sockets.
    const raw = row.scenario.startsWith("datasetChanged") ? rows[index - 1]! : null;
    const vsRaw = (value: number, p: number) => (raw ? `${(value / percentile(raw.samples, p)).toFixed(1)}x` : "");
    return [row.scenario, String(row.samples.length), p50.toFixed(3), p99.toFixed(3), `${(p50 / echoP50).toFixed(0)}x`, `${(p99 / echoP99).toFixed(1)}x`, vsRaw(p50, 50), vsRaw(p99, 99)];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ");
  console.log(`push latency, commit -> delivery (Node ${process.version}, ${new Date().toISOString()})`);
  console.log(format(header));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const line of lines) console.log(format(line));
}

function describeError(error: unknown): string {
  const close = error as { code?: number; reason?: string };
  return typeof close.code === "number" ? `closed ${close.code} ${close.reason ?? ""}` : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

await main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
