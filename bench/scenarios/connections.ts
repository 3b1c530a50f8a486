/**
 * Scenario 4, connections: the server's resident memory per idle subscribed WebSocket client, at
 * 1,000 and 10,000 clients. The server and the clients run in two separate processes
 * (`procs/server-process.ts`, `procs/idle-clients.ts`), so the server's RSS is its own. Per client
 * = (RSS with N clients - RSS before) / N, both read after two full GCs, and after a warm-up of
 * 100 clients that connected and left (so first-use allocations are not charged to the N).
 *
 * Peers measured the same way: the y-websocket server with N Yjs clients (10 per room, as
 * syncpool's are 10 per identity), and a bare `ws` server with N sockets (the floor).
 */
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { forkBenchChild, nextMessage, startChildServer, type ChildServer } from "../lib/child-server.js";
import type { ResultRow, ScenarioResult } from "../lib/report.js";

const IDLE_CLIENTS = fileURLToPath(new URL("../procs/idle-clients.ts", import.meta.url));
type Kind = "syncpool" | "y-websocket" | "ws";

interface MemoryPerClient {
  clients: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPerClientBytes: number;
  heapPerClientBytes: number;
  connectSeconds: number;
}

/** Runs scenario 4; quick measures 1,000 clients only. */
export async function runConnections(quick: boolean): Promise<ScenarioResult> {
  const counts = quick ? [1000] : [1000, 10_000];
  const rows: ResultRow[] = [];
  const details: Record<string, Record<string, MemoryPerClient>> = {};
  for (const clients of counts) {
    const measured: Record<string, MemoryPerClient> = {};
    for (const kind of ["syncpool", "y-websocket", "ws"] as const) measured[kind] = await measure(kind, clients);
    details[String(clients)] = measured;
    const kb = (entry: MemoryPerClient) => entry.rssPerClientBytes / 1024;
    rows.push({
      scenario: "4 connections",
      case: `${clients.toLocaleString("en-US")} idle subscribed WebSocket clients: server RSS per client`,
      value: kb(measured.syncpool!),
      unit: "KB",
      better: "lower",
      baselines: [
        { name: "y-websocket server", value: kb(measured["y-websocket"]!) },
        { name: "bare ws server", value: kb(measured.ws!) },
      ],
      ...(clients === 10_000 ? { goal: { text: "10,000 idle subscribers under 30 KB each", met: kb(measured.syncpool!) < 30 } } : {}),
    });
  }
  return {
    name: "connections",
    title: "Memory per idle connection",
    rows,
    details,
    charts: [
      {
        file: "connections.svg",
        title: "Server RSS per idle client, KB (lower is better)",
        xLabel: "idle clients",
        yLabel: "KB per client",
        kind: "bar",
        categories: counts.map((count) => count.toLocaleString("en-US")),
        series: (["syncpool", "y-websocket", "ws"] as const).map((kind) => ({
          name: kind === "ws" ? "bare ws" : kind,
          points: counts.map((count, index): [number, number] => [index, details[String(count)]![kind]!.rssPerClientBytes / 1024]),
        })),
      },
    ],
  };
}

async function measure(kind: Kind, clients: number): Promise<MemoryPerClient> {
  const server = await startChildServer(kind, kind === "syncpool" ? { storage: "sqlite" } : {});
  try {
    await stopClients(await connectClients(kind, server, 100));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = await server.memory();
    const started = process.hrtime.bigint();
    const child = await connectClients(kind, server, clients);
    const connectSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await server.memory();
    await stopClients(child);
    return {
      clients,
      rssBeforeBytes: before.rssBytes,
      rssAfterBytes: after.rssBytes,
      rssPerClientBytes: (after.rssBytes - before.rssBytes) / clients,
      heapPerClientBytes: (after.heapUsedBytes - before.heapUsedBytes) / clients,
      connectSeconds,
    };
  } finally {
    await server.stop();
  }
}

/** Starts the clients' process and waits until all `count` are connected (syncpool: and subscribed). */
async function connectClients(kind: Kind, server: ChildServer, count: number): Promise<ChildProcess> {
  const child = forkBenchChild(IDLE_CLIENTS, [kind, server.url, String(count)]);
  await nextMessage(child, "connected", 300_000);
  if (kind === "syncpool") {
    for (let waited = 0; (await server.listeners()) < count; waited += 100) {
      if (waited > 60_000) throw new Error(`only ${await server.listeners()} of ${count} subscriptions live after 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return child;
}

async function stopClients(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.send({ type: "stop" });
  await exited;
}
