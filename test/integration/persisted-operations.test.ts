/**
 * Persisted operations: the client library names each of its operations by the sha256 of its text
 * (`schema/client-operations.ts`), over HTTP and over its live graphql-ws socket. A server that does
 * not know a hash answers `PersistedQueryNotFound`, and the client sends that operation's text from
 * then on; against a server older than persisted operations (a bare yoga, really started here) it
 * sends every text. Operations sent as text keep working. A real server on port 0 (sockets are the
 * point for the graphql-ws cases).
 */
import { createSchema, createYoga } from "graphql-yoga";
import { createClient as createWsClient } from "graphql-ws/client";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_OPERATIONS } from "../../schema/client-operations.js";
import { TestNetwork, type DeviceLink } from "../helpers/client-network.js";
import { sentOperationName, socketOperationName } from "../helpers/sent-operation.js";

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.start();
});
afterAll(async () => {
  await net.close();
});

/** A hash no server knows (what a newer client's operation is to an older server). */
const UNKNOWN_HASH = "0".repeat(64);

/** One POST as the client sent it, and what the server answered. */
interface Exchange {
  operation: string;
  body: { query?: string; extensions?: { persistedQuery?: { sha256Hash?: string } } };
  answer: string;
}

/** A fetch for `link` that records each exchange (named as the client sent it, with the body `rewrite` made of it on the way). */
function recordingFetch(link: DeviceLink, exchanges: Exchange[], rewrite: (body: string) => string = (body) => body) {
  return async (url: string, init: RequestInit) => {
    const operation = sentOperationName(init.body);
    const body = rewrite(String(init.body));
    const response = await link.fetch(url, { ...init, body });
    const answer = await response.text();
    exchanges.push({ operation, body: JSON.parse(body) as Exchange["body"], answer });
    return new Response(answer, { status: response.status, headers: response.headers });
  };
}

/** The body with `operation`'s hash replaced by one the server does not know. */
const unknownHashFor = (operation: keyof typeof CLIENT_OPERATIONS) => (body: string) => body.replace(CLIENT_OPERATIONS[operation].sha256Hash, UNKNOWN_HASH);

describe("persisted operations over HTTP", { timeout: 30_000 }, () => {
  it("a sync sends every operation by its hash, never its text", async () => {
    const link = net.device("by-hash");
    const exchanges: Exchange[] = [];
    const client = link.client({ fetch: recordingFetch(link, exchanges) });
    await client.signIn();
    await client.dataset("notes").put("title", "by hash");
    await client.sync();
    expect(await client.dataset("notes").get("title")).toBe("by hash");

    expect(exchanges.map((exchange) => exchange.operation)).toEqual(expect.arrayContaining(["SignIn", "Push", "Changes"]));
    for (const exchange of exchanges) {
      expect(exchange.body.query).toBeUndefined();
      expect(exchange.body.extensions).toEqual({ persistedQuery: { version: 1, sha256Hash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
      expect(exchange.answer).not.toContain("errors");
    }
    // The Changes request carries 64 hex digits instead of its text.
    const changes = exchanges.find((exchange) => exchange.operation === "Changes")!;
    expect(JSON.stringify(changes.body).length).toBeLessThan(CLIENT_OPERATIONS.changes.text.length);
  });

  it("answers an unknown hash with PersistedQueryNotFound, and the client sends that operation's text from then on", async () => {
    const link = net.device("unknown-hash");
    const exchanges: Exchange[] = [];
    const client = link.client({ fetch: recordingFetch(link, exchanges, unknownHashFor("changes")) });
    await client.signIn();
    await client.dataset("notes").put("title", "first");
    await client.sync();
    await client.dataset("notes").put("title", "second");
    await client.sync();
    expect(await client.dataset("notes").get("title")).toBe("second");

    const changes = exchanges.filter((exchange) => exchange.operation === "Changes");
    expect(changes[0]!.body.extensions?.persistedQuery?.sha256Hash).toBe(UNKNOWN_HASH);
    expect(JSON.parse(changes[0]!.answer).errors[0]).toMatchObject({ message: "PersistedQueryNotFound", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } });
    // Every later Changes request is the text alone; the other operations still go by hash.
    expect(changes.length).toBeGreaterThanOrEqual(3);
    for (const later of changes.slice(1)) expect(later.body).toMatchObject({ query: CLIENT_OPERATIONS.changes.text });
    for (const later of changes.slice(1)) expect(later.body.extensions).toBeUndefined();
    expect(exchanges.filter((exchange) => exchange.operation === "Push").every((push) => push.body.query === undefined)).toBe(true);
  });

  it("keeps working against a server older than persisted operations, sending texts after the first refusal", async () => {
    // A yoga without the plugin: what an older server answers to a request with no query.
    const older = createYoga({ schema: createSchema({ typeDefs: "type Query { ok: Boolean }" }), logging: false });
    const link = net.device("older-server");
    const exchanges: Exchange[] = [];
    let refusedByOlder = 0;
    const client = link.client({
      fetch: async (url, init) => {
        const body = JSON.parse(String(init.body)) as Exchange["body"];
        if (body.query !== undefined) return recordingFetch(link, exchanges)(url, init);
        refusedByOlder += 1;
        return older.fetch(new Request("http://older.test/graphql", init));
      },
    });
    await client.signIn();
    await client.dataset("notes").put("title", "by text");
    await client.sync();
    expect(await client.dataset("notes").get("title")).toBe("by text");
    expect(refusedByOlder).toBe(1);
    expect(exchanges.map((exchange) => exchange.operation)).toEqual(expect.arrayContaining(["SignIn", "Push", "Changes"]));
  });

  it("still runs operations sent as text, with or without a hash beside them", async () => {
    const { token } = await net.server!.signInGuest();
    expect(await net.server!.gql("{ datasets { name } }", {}, token)).toMatchObject({ status: 200, data: { datasets: [] } });
    const withHash = await fetch(net.server!.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ usage { datasetCount } }", extensions: { persistedQuery: { version: 1, sha256Hash: UNKNOWN_HASH } } }),
    });
    expect(await withHash.json()).toEqual({ data: { usage: { datasetCount: 0 } } });
  });
});

describe("persisted operations over graphql-ws", { timeout: 30_000 }, () => {
  it("answer an unknown hash with PersistedQueryNotFound and run a known one", async () => {
    const { token } = await net.server!.signInGuest();
    const client = createWsClient({ url: net.server!.graphqlUrl.replace(/^http/, "ws"), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` } });
    try {
      const run = (hash: string) =>
        new Promise<unknown>((resolve) => {
          const results: unknown[] = [];
          client.subscribe(
            { query: "", extensions: { persistedQuery: { version: 1, sha256Hash: hash } }, variables: {} },
            { next: (result) => results.push(result), error: (error) => resolve({ error }), complete: () => resolve(results) },
          );
        });
      expect(await run(UNKNOWN_HASH)).toEqual({ error: [expect.objectContaining({ message: "PersistedQueryNotFound", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } })] });
      expect(await run(CLIENT_OPERATIONS.datasets.sha256Hash)).toEqual([{ data: { datasets: [] } }]);
    } finally {
      await client.dispose();
    }
  });

  it("a live client subscribes and pushes by hash; a refused push hash goes by HTTP once, then by text on the socket", async () => {
    const link = net.device("live");
    const frames: string[] = [];
    let rewritePushHash = false;
    class RecordingSocket extends link.WebSocket {
      override send(data: unknown, ...rest: unknown[]): void {
        const sent = rewritePushHash && typeof data === "string" ? unknownHashFor("push")(data) : data;
        if (typeof sent === "string" && socketOperationName(sent) !== null) frames.push(sent);
        (super.send as (...args: unknown[]) => void)(sent, ...rest);
      }
    }
    const exchanges: Exchange[] = [];
    const client = link.client({ autoSync: true, intervalMs: 3_600_000, WebSocket: RecordingSocket, backoff: { baseMs: 50, maxMs: 400 }, fetch: recordingFetch(link, exchanges) });
    await client.signIn();
    await expect.poll(() => link.liveSubscribes).toBe(1);
    await expect.poll(() => client.syncState).toBe("idle");
    const payloads = () => frames.map((frame) => (JSON.parse(frame) as { payload: Exchange["body"] }).payload);
    expect(payloads().map((payload) => payload.query)).toEqual(["", ""]);

    await client.dataset("notes").put("title", "over the socket by hash");
    await client.sync();
    expect(link.socketPushes).toBe(1);
    expect(payloads()[2]).toMatchObject({ query: "", extensions: { persistedQuery: { sha256Hash: CLIENT_OPERATIONS.push.sha256Hash } } });

    rewritePushHash = true;
    await client.dataset("notes").put("title", "refused hash");
    await client.sync();
    const httpPushes = () => exchanges.filter((exchange) => exchange.operation === "Push").length;
    expect(httpPushes()).toBe(1);
    await client.dataset("notes").put("title", "over the socket by text");
    await client.sync();
    expect(httpPushes()).toBe(1);
    expect(payloads().at(-1)).toMatchObject({ query: CLIENT_OPERATIONS.push.text });
    expect(payloads().filter((payload) => payload.extensions?.persistedQuery?.sha256Hash === UNKNOWN_HASH)).toHaveLength(1);
    expect(await client.dataset("notes").get("title")).toBe("over the socket by text");
  });
});
