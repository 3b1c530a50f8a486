/**
 * Idle connected clients in their own process, so the server's resident memory can be measured
 * alone (`scenarios/connections.ts`).
 *
 *   argv: <kind> <url> <count>     kind: syncpool | y-websocket | ws
 *   -> { type: "connected", count, seconds }   once every client is connected (and subscribed)
 *   <- { type: "stop" }                         closes them and exits
 *
 * syncpool: a graphql-ws connection per client with one `datasetChanged` subscription, 10
 * connections per guest identity (a user with several devices and tabs). y-websocket: a Yjs
 * client (y-websocket provider, no presence) per client, 10 per room. ws: a bare socket.
 */
import { performance } from "node:perf_hooks";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { signInGuests } from "../lib/gql.js";

const CLIENTS_PER_IDENTITY = 10;
const BATCH = 250;

// Every y-websocket provider adds a process "exit" listener.
process.setMaxListeners(0);
const [kind, url, countText] = process.argv.slice(2) as [string, string, string];
const count = Number(countText);
const closers: Array<() => void> = [];

async function connectSyncpool(): Promise<void> {
  const guests = await signInGuests(url, Math.ceil(count / CLIENTS_PER_IDENTITY));
  for (let first = 0; first < count; first += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, count - first) }, (_, offset) => {
        const guest = guests[Math.floor((first + offset) / CLIENTS_PER_IDENTITY)]!;
        return new Promise<void>((resolve, reject) => {
          const client: Client = createClient({
            url: url.replace(/^http/, "ws"),
            webSocketImpl: WebSocket,
            connectionParams: { authorization: `Bearer ${guest.token}` },
            retryAttempts: 0,
            lazy: false,
            onNonLazyError: reject,
            on: { connected: () => resolve() },
          });
          client.subscribe({ query: `subscription { datasetChanged { dataset syncCount } }` }, { next: () => undefined, error: reject, complete: () => undefined });
          closers.push(() => void client.dispose());
        });
      }),
    );
  }
}

async function connectYWebsocket(): Promise<void> {
  const { connectYClient, whenSynced } = await import("../lib/yjs-cjs.js");
  for (let first = 0; first < count; first += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, count - first) }, (_, offset) => {
        const { provider } = connectYClient(url, `room-${Math.floor((first + offset) / CLIENTS_PER_IDENTITY)}`, WebSocket);
        closers.push(() => provider.destroy());
        return whenSynced(provider);
      }),
    );
  }
}

async function connectWs(): Promise<void> {
  for (let first = 0; first < count; first += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, count - first) }, () => {
        const socket = new WebSocket(url);
        closers.push(() => socket.terminate());
        return new Promise((resolve, reject) => {
          socket.once("open", resolve);
          socket.once("error", reject);
        });
      }),
    );
  }
}

const started = performance.now();
await (kind === "syncpool" ? connectSyncpool() : kind === "y-websocket" ? connectYWebsocket() : connectWs());
process.send!({ type: "connected", count, seconds: (performance.now() - started) / 1000 });
process.on("message", (message: { type: string }) => {
  if (message.type !== "stop") return;
  for (const close of closers) close();
  setTimeout(() => process.exit(0), 200);
});
