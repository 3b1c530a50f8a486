/**
 * The graphql-transport-ws protocol as the server speaks it on `/graphql`, frame by frame over a
 * raw `ws` socket: the close codes of graphql-ws's server for each misuse, ping/pong, a query's
 * next-then-complete, a client's complete, and the subscription released when the socket closes.
 * Binds a port: a real WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { CONNECTION_INIT_TIMEOUT_MS } from "../../server/push/graphql-ws-socket.js";
import { subscriptionsReleased } from "../helpers/push-clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** A raw socket: its frames as parsed JSON, in order, and how it closed. */
function open(server: TestServer, protocol: string | null = "graphql-transport-ws") {
  const socket = new WebSocket(server.graphqlUrl.replace(/^http/, "ws"), protocol === null ? [] : [protocol]);
  const frames: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  socket.on("message", (data) => {
    frames.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on("close", (code, reason) => resolve({ code, reason: String(reason) })));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  /** The next frame not yet taken. */
  let taken = 0;
  const next = async (): Promise<Record<string, unknown>> => {
    while (frames.length <= taken) await new Promise<void>((resolve) => waiters.push(resolve));
    return frames[taken++]!;
  };
  const send = async (message: unknown) => {
    await opened;
    socket.send(typeof message === "string" ? message : JSON.stringify(message));
  };
  return { socket, next, send, closed, opened };
}

describe("the graphql-transport-ws protocol on /graphql", () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer();
    ({ token } = await server.signInGuest());
  });
  afterAll(async () => server?.close());

  async function acknowledged() {
    const client = open(server);
    await client.send({ type: "connection_init", payload: { authorization: `Bearer ${token}` } });
    expect(await client.next()).toMatchObject({ type: "connection_ack", payload: { identityId: expect.any(String) } });
    return client;
  }

  it("answers ping with pong, carrying its payload", async () => {
    const client = await acknowledged();
    await client.send({ type: "ping", payload: { n: 1 } });
    expect(await client.next()).toEqual({ type: "pong", payload: { n: 1 } });
    client.socket.close();
  });

  it("answers a query with next then complete", async () => {
    const client = await acknowledged();
    await client.send({ id: "q", type: "subscribe", payload: { query: "{ webPushPublicKey }" } });
    expect(await client.next()).toEqual({ id: "q", type: "next", payload: { data: { webPushPublicKey: expect.any(String) } } });
    expect(await client.next()).toEqual({ id: "q", type: "complete" });
    client.socket.close();
  });

  it("answers an invalid operation with an error message and keeps the socket", async () => {
    const client = await acknowledged();
    await client.send({ id: "bad", type: "subscribe", payload: { query: "{ noSuchField }" } });
    expect(await client.next()).toMatchObject({ id: "bad", type: "error", payload: [{ message: expect.stringMatching(/noSuchField/) }] });
    await client.send({ type: "ping" });
    expect(await client.next()).toEqual({ type: "pong" });
    client.socket.close();
  });

  it("stops a subscription the client completes, and releases one whose socket closes", async () => {
    const client = await acknowledged();
    const subscribe = (id: string) => client.send({ id, type: "subscribe", payload: { query: "subscription { datasetChanged { dataset } }" } });
    await subscribe("a");
    await subscribe("b");
    for (let waited = 0; server.server.push.bus.listenerCount() < 2; waited++) {
      if (waited > 5000) throw new Error("the subscriptions never started listening");
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await client.send({ id: "a", type: "complete" });
    for (let waited = 0; server.server.push.bus.listenerCount() > 1; waited++) {
      if (waited > 5000) throw new Error("the completed subscription still listens");
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(server.server.push.bus.listenerCount()).toBe(1);
    client.socket.close();
    await subscriptionsReleased(server);
  });

  it("closes with 4409 when a subscribe reuses a running id", async () => {
    const client = await acknowledged();
    const message = { id: "same", type: "subscribe", payload: { query: "subscription { datasetChanged { dataset } }" } };
    await client.send(message);
    await client.send(message);
    expect(await client.closed).toEqual({ code: 4409, reason: "Subscriber for same already exists" });
    await subscriptionsReleased(server);
  });

  it("closes with 4401 on a subscribe before the connection is acknowledged", async () => {
    const client = open(server);
    await client.send({ id: "1", type: "subscribe", payload: { query: "{ webPushPublicKey }" } });
    expect(await client.closed).toEqual({ code: 4401, reason: "Unauthorized" });
  });

  it("closes with 4429 on a second connection_init", async () => {
    const client = await acknowledged();
    await client.send({ type: "connection_init", payload: { authorization: `Bearer ${token}` } });
    expect(await client.closed).toEqual({ code: 4429, reason: "Too many initialisation requests" });
  });

  it("closes with 4400 on a message that is not the protocol's", async () => {
    const client = open(server);
    await client.send("{not json");
    expect(await client.closed).toEqual({ code: 4400, reason: "Invalid message received" });
    const other = await acknowledged();
    await other.send({ id: "1", type: "next", payload: {} });
    expect((await other.closed).code).toBe(4400);
  });

  it("closes with 4406 a socket that does not speak the subprotocol", async () => {
    const client = open(server, null);
    expect(await client.closed).toEqual({ code: 4406, reason: "Subprotocol not acceptable" });
  });

  it("closes with 4408 a socket that sends no connection_init in time", { timeout: CONNECTION_INIT_TIMEOUT_MS + 30_000 }, async () => {
    const client = open(server);
    await client.opened;
    const openedAt = Date.now();
    expect(await client.closed).toEqual({ code: 4408, reason: "Connection initialisation timeout" });
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(CONNECTION_INIT_TIMEOUT_MS - 50);
  });
});
