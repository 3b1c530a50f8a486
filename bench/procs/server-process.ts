/**
 * A server in its own process, so that its resident memory is its own and load generators do not
 * share its event loop. Started by `lib/child-server.ts` with `--expose-gc`; speaks over the IPC
 * channel:
 *
 *   argv: <kind> <options JSON>   kind: syncpool | y-websocket | http | ws
 *   -> { type: "ready", url, dataDir? }             once listening (dataDir: syncpool's)
 *   <- { type: "memory" }  -> { type: "memory", rssBytes, heapUsedBytes }   after two full GCs
 *   <- { type: "listeners" } -> { type: "listeners", count }            syncpool: live subscriptions on the change bus
 *   <- { type: "lag" }     -> { type: "lag", lagMs: number[], handled }      syncpool with consumer: true
 *   <- { type: "stop" }    -> exits 0 after closing
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import type { BenchServerOptions } from "../lib/bench-server.js";
import type { StreamRecord } from "../../server/stream/consumer.js";

type Kind = "syncpool" | "y-websocket" | "http" | "ws";

interface SyncpoolProcessOptions extends BenchServerOptions {
  /** Register a stream consumer that records each event's lag (handled time minus append time). */
  consumer?: boolean;
}

const [kind, optionsJson] = process.argv.slice(2) as [Kind, string | undefined];
const lagMs: number[] = [];
let handled = 0;
let listenerCount = () => 0;

async function start(): Promise<{ url: string; dataDir?: string; close: () => Promise<void> }> {
  if (kind === "syncpool") return startSyncpool(JSON.parse(optionsJson ?? "{}") as SyncpoolProcessOptions);
  if (kind === "y-websocket") return startYWebsocket();
  if (kind === "http") return startHttp();
  if (kind === "ws") return startWs();
  throw new Error(`unknown server kind ${String(kind)}`);
}

async function startSyncpool(options: SyncpoolProcessOptions): Promise<{ url: string; dataDir: string; close: () => Promise<void> }> {
  const handlers = options.consumer
    ? [
        {
          name: "bench-lag",
          handle: (record: StreamRecord) => {
            handled += 1;
            lagMs.push(Date.now() - record.approximateArrivalTimestamp);
          },
        },
      ]
    : undefined;
  // Loaded only here, so the peers' processes hold none of syncpool (nor its ESM copy of Yjs).
  const { startBenchServer } = await import("../lib/bench-server.js");
  const server = await startBenchServer({ ...options, ...(handlers ? { handlers } : {}) });
  listenerCount = () => server.running.server.push.bus.listenerCount();
  return { url: server.graphqlUrl, dataDir: server.dataDir, close: () => server.close() };
}

/** The y-websocket reference server (`y-websocket/bin/utils`), as its own `bin/server.cjs` runs it. */
async function startYWebsocket(): Promise<{ url: string; close: () => Promise<void> }> {
  const { setupWSConnection } = await import("../lib/yjs-cjs.js");
  const httpServer = createServer((_request, response) => response.end("okay"));
  const wss = new WebSocketServer({ noServer: true });
  wss.on("connection", (socket, request) => setupWSConnection(socket, request));
  httpServer.on("upgrade", (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request)));
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => httpServer.close(resolve));
    },
  };
}

/** A bare `ws` server that echoes: the floor for memory per idle connection. */
async function startWs(): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  wss.on("connection", (socket) => socket.on("message", (data) => socket.send(data)));
  await new Promise((resolve) => wss.once("listening", resolve));
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

/**
 * A bare node:http server: reads a POST's JSON body (parsed, as a server must) and answers with a
 * small JSON body; `GET /bytes?n=N` answers N bytes.
 */
async function startHttp(): Promise<{ url: string; close: () => Promise<void> }> {
  const answer = JSON.stringify({ data: { pushRecords: { datasetSyncCount: 1 } } });
  const httpServer = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const bytes = /^\/bytes\?n=(\d+)/.exec(request.url ?? "");
      if (request.method === "POST") {
        try {
          JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          response.writeHead(400).end();
          return;
        }
      }
      const body = bytes ? Buffer.alloc(Number(bytes[1]), 120) : answer;
      response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      httpServer.closeAllConnections();
      await new Promise((resolve) => httpServer.close(resolve));
    },
  };
}

function memory(): { rssBytes: number; heapUsedBytes: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed };
}

const running = await start();
process.on("message", (message: { type: string }) => {
  if (message.type === "memory") process.send!({ type: "memory", ...memory() });
  else if (message.type === "listeners") process.send!({ type: "listeners", count: listenerCount() });
  else if (message.type === "lag") process.send!({ type: "lag", lagMs: lagMs.splice(0), handled });
  else if (message.type === "stop") void running.close().finally(() => process.exit(0));
});
process.send!({ type: "ready", url: running.url, dataDir: running.dataDir });
