/**
 * Guests are free, so an attacker can sign in many identities and hold a few live connections for
 * each, from one address or from many. The server caps live connections (SSE streams and WebSocket
 * upgrades) per address and in total, and answers over-cap requests with HTTP 429 and Retry-After.
 * Binds a port: the caps count connections per client address, which only a socket has.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { DEFAULT_PUSH_CONFIG } from "../../server/push/push-config.js";
import { connectWs, DATASET_CHANGED, type WsConnection } from "../helpers/push-clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

interface OpenStream {
  status: number;
  retryAfter: string | null;
  body: string;
  close(): void;
}

/** Starts an SSE subscription; an accepted one keeps streaming until `close()`. */
async function openSse(server: TestServer, token: string, forwardedFor?: string): Promise<OpenStream> {
  const abort = new AbortController();
  const response = await fetch(server.graphqlUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${token}`,
      ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}),
    },
    body: JSON.stringify({ query: DATASET_CHANGED, variables: { dataset: "notes" } }),
    signal: abort.signal,
  });
  const body = response.status === 200 ? "" : await response.text();
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body, close: () => abort.abort() };
}

/** The HTTP status a WebSocket upgrade on `/graphql` is answered with (101 when it opens). */
function upgradeStatus(server: TestServer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.graphqlUrl.replace(/^http/, "ws"), "graphql-transport-ws");
    socket.once("unexpected-response", (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once("open", () => {
      resolve(101);
      socket.close();
    });
    socket.once("error", reject);
  });
}

describe("live connections from one address", () => {
  let server: TestServer;
  const opened: Array<{ close(): void }> = [];
  const sockets: WsConnection[] = [];

  beforeAll(async () => {
    server = await startTestServer({ config: { push: { ...DEFAULT_PUSH_CONFIG, maxConnectionsPerAddress: 2 } } });
  });
  afterEach(async () => {
    for (const stream of opened.splice(0)) stream.close();
    await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
    await expect.poll(() => server.running.server.push.caps.total).toBe(0);
  });
  afterAll(async () => server?.close());

  it("refuses an SSE stream and a WebSocket upgrade over the cap with 429 and Retry-After", async () => {
    const { token } = await server.signInGuest();
    const { token: otherToken } = await server.signInGuest();
    const first = await openSse(server, token);
    opened.push(first);
    const socket = connectWs(server, otherToken);
    sockets.push(socket);
    expect(first.status).toBe(200);
    expect(await socket.opened).toHaveProperty("ack");

    const refused = await openSse(server, otherToken);
    opened.push(refused);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(JSON.parse(refused.body).errors[0].extensions).toMatchObject({ code: "RATE_LIMITED", limit: "maxConnectionsPerAddress" });
    expect(await upgradeStatus(server)).toBe(429);
  });

  it("admits a new connection once one of the address's connections has closed", async () => {
    const { token } = await server.signInGuest();
    const streams = [await openSse(server, token), await openSse(server, token)];
    opened.push(...streams);
    expect(streams.map((stream) => stream.status)).toEqual([200, 200]);
    streams[0]!.close();
    await expect.poll(() => server.running.server.push.caps.total).toBe(1);
    const again = await openSse(server, token);
    opened.push(again);
    expect(again.status).toBe(200);
  });
});

describe("live connections on the whole server", () => {
  let server: TestServer;
  const opened: OpenStream[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      // Each request names its client through one trusted proxy, so each comes from its own address.
      config: { trustedProxyHops: 1, push: { ...DEFAULT_PUSH_CONFIG, maxConnections: 3, maxConnectionsPerAddress: 10 } },
    });
  });
  afterAll(async () => {
    for (const stream of opened) stream.close();
    await server?.close();
  });

  it("refuses connections beyond the total cap, whatever address they come from", async () => {
    const { token } = await server.signInGuest();
    for (const address of ["203.0.113.1", "203.0.113.2", "2001:db8:1::1"]) opened.push(await openSse(server, token, address));
    expect(opened.map((stream) => stream.status)).toEqual([200, 200, 200]);
    const refused = await openSse(server, token, "198.51.100.7");
    opened.push(refused);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).errors[0].extensions).toMatchObject({ code: "RATE_LIMITED", limit: "maxConnections" });
    expect(await upgradeStatus(server)).toBe(429);
  });
});
