/**
 * The push mutation over graphql-ws (a client pushing over its live connection): it commits as a
 * POST does, a repeat of its mutation id is answered and not applied again, and every refusal
 * (input, dataset limits, body size, rate limits, an expired token) carries the same
 * `extensions.code` and limit name as the same push sent over HTTP.
 * Binds a port: graphql-ws on a real WebSocket.
 */
import type { GraphQLFormattedError } from "graphql";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { MAX_REQUEST_BODY_BYTES } from "../../server/graphql/use-body-limit.js";
import { connectWs, type WsConnection } from "../helpers/push-clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { GraphQLFailure, syncApi, type PushInput } from "../helpers/sync-api.js";

const PUSH = `mutation Push($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount replayed records { key value } } }`;

interface PushAnswer {
  datasetSyncCount: number;
  replayed: boolean;
  records: Array<{ key: string; value: string | null }>;
}

/** What one operation over the socket ended with: its answer, or its first error's message and extensions. */
type Outcome = { data: PushAnswer } | { error: { message: string; extensions: Record<string, unknown> } } | { closed: number };

/** Sends the push mutation as one graphql-ws operation and waits for its end. */
function pushOverSocket(connection: WsConnection, input: PushInput): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let outcome: Outcome | null = null;
    const firstError = (errors: readonly GraphQLFormattedError[]): Outcome => ({
      error: { message: errors[0]!.message, extensions: { ...errors[0]!.extensions } },
    });
    connection.client.subscribe<{ pushRecords: PushAnswer }>(
      { query: PUSH, variables: { input } },
      {
        next: (result) => (outcome = result.errors?.length ? firstError(result.errors) : { data: result.data!.pushRecords }),
        error: (error) => resolve(Array.isArray(error) ? firstError(error) : { closed: (error as { code: number }).code }),
        complete: () => (outcome ? resolve(outcome) : reject(new Error("completed without an answer"))),
      },
    );
  });
}

/** The same push over HTTP, as an outcome. */
async function pushOverHttp(server: TestServer, token: string, input: PushInput): Promise<Outcome> {
  try {
    return { data: (await syncApi(server.graphqlUrl, token).push(input)) as unknown as PushAnswer };
  } catch (error) {
    if (!(error instanceof GraphQLFailure)) throw error;
    return { error: { message: error.message, extensions: error.extensions } };
  }
}

function codeOf(outcome: Outcome): Record<string, unknown> {
  if (!("error" in outcome)) throw new Error(`expected a refusal, got ${JSON.stringify(outcome)}`);
  const { code, limit } = outcome.error.extensions;
  return { code, ...(limit === undefined ? {} : { limit }) };
}

let serverNowMs = Date.now();
let server: TestServer;
const connections: WsConnection[] = [];
async function open(token: string): Promise<WsConnection> {
  const connection = connectWs(server, token);
  connections.push(connection);
  expect(await connection.opened).toHaveProperty("ack");
  return connection;
}

beforeAll(async () => {
  const pools = [
    { id: "default", limits: { maxRecords: 2 } },
    { id: "throttled", rateLimits: { perIdentity: { burst: 2, perSecond: 0.001 } } },
  ].map((pool) => poolSettingsSchema.parse(pool));
  server = await startTestServer({ config: { pools }, now: () => serverNowMs });
});
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.dispose()));
});
afterAll(async () => server?.close());

describe("pushRecords over graphql-ws", () => {
  it("commits a push, and answers a repeat of its mutation id with the first answer without applying it again", async () => {
    const guest = await server.signInGuest();
    const socket = await open(guest.token);
    const input = { dataset: "notes", deviceId: "phone", mutationId: "ws-once", patches: [{ op: "REPLACE" as const, key: "title", value: "hello" }] };

    const first = await pushOverSocket(socket, input);
    expect(first).toEqual({ data: { datasetSyncCount: 1, replayed: false, records: [{ key: "title", value: "hello" }] } });
    // The same push again, over the socket and then by HTTP (a client falling back after a drop).
    expect(await pushOverSocket(socket, input)).toEqual({ data: { ...(first as { data: PushAnswer }).data, replayed: true } });
    expect(await pushOverHttp(server, guest.token, input)).toMatchObject({ data: { datasetSyncCount: 1, replayed: true } });
    const page = await syncApi(server.graphqlUrl, guest.token).page("notes");
    expect(page.datasetSyncCount).toBe(1);
  });

  it("refuses bad input and a push over the pool's dataset limits with the codes HTTP answers", async () => {
    const guest = await server.signInGuest();
    const socket = await open(guest.token);
    const badName = { dataset: "not a name!", deviceId: "phone", mutationId: "ws-bad", patches: [{ op: "REPLACE" as const, key: "k", value: "v" }] };
    const tooMany = {
      dataset: "notes",
      deviceId: "phone",
      mutationId: "ws-many",
      patches: ["a", "b", "c"].map((key) => ({ op: "REPLACE" as const, key, value: key })),
    };
    for (const input of [badName, tooMany]) {
      const overSocket = await pushOverSocket(socket, input);
      const overHttp = await pushOverHttp(server, guest.token, input);
      expect(codeOf(overSocket)).toEqual(codeOf(overHttp));
    }
    expect(codeOf(await pushOverSocket(socket, badName))).toEqual({ code: "BAD_USER_INPUT" });
    expect(codeOf(await pushOverSocket(socket, tooMany))).toMatchObject({ code: "LIMIT_EXCEEDED" });
  });

  it("refuses a message over the HTTP body limit with the body limit's LIMIT_EXCEEDED, keeping the socket", async () => {
    const guest = await server.signInGuest();
    const socket = await open(guest.token);
    const input = { dataset: "big", deviceId: "phone", mutationId: "ws-big", patches: [{ op: "REPLACE" as const, key: "k", value: "x".repeat(MAX_REQUEST_BODY_BYTES + 1) }] };
    const overSocket = await pushOverSocket(socket, input);
    expect(codeOf(overSocket)).toEqual({ code: "LIMIT_EXCEEDED", limit: "maxRequestBodyBytes" });
    expect(codeOf(overSocket)).toEqual(codeOf(await pushOverHttp(server, guest.token, input)));
    // Refused before it ran, and the connection still carries the next push.
    const next = await pushOverSocket(socket, { dataset: "big", deviceId: "phone", mutationId: "ws-small", patches: [{ op: "REPLACE", key: "k", value: "small" }] });
    expect(next).toMatchObject({ data: { datasetSyncCount: 1 } });
    expect(socket.closes.items).toEqual([]);
  });

  it("counts pushes over the socket against the identity's rate limit, refused with RATE_LIMITED as over HTTP", async () => {
    const guest = await server.signInGuest("throttled");
    // connection_init takes one request of the burst of two; the first push the other.
    const socket = await open(guest.token);
    const push = (mutationId: string) => ({ dataset: "notes", deviceId: "phone", mutationId, patches: [{ op: "REPLACE" as const, key: "k", value: mutationId }] });
    expect(await pushOverSocket(socket, push("r1"))).toMatchObject({ data: { datasetSyncCount: 1 } });
    const overSocket = await pushOverSocket(socket, push("r2"));
    expect(codeOf(overSocket)).toEqual({ code: "RATE_LIMITED", limit: "perIdentity" });
    expect(codeOf(await pushOverHttp(server, guest.token, push("r3")))).toEqual(codeOf(overSocket));
  });

  it("refuses a push on a socket whose token expired by closing it with 4401, applying nothing, as HTTP refuses the token with UNAUTHENTICATED", async () => {
    const guest = await server.signInGuest();
    const socket = await open(guest.token);
    const input = { dataset: "notes", deviceId: "phone", mutationId: "ws-late", patches: [{ op: "REPLACE" as const, key: "k", value: "late" }] };
    serverNowMs += 2 * 24 * 3600 * 1000;
    try {
      // 4401 is the socket's UNAUTHENTICATED: the client signs in again (and pushes by HTTP meanwhile).
      expect(await pushOverSocket(socket, input)).toEqual({ closed: 4401 });
      expect(codeOf(await pushOverHttp(server, guest.token, input))).toEqual({ code: "UNAUTHENTICATED" });
    } finally {
      serverNowMs = Date.now();
    }
    const again = await server.gql<{ signIn: { token: string } }>(`mutation ($input: SignInInput!) { signIn(input: $input) { token } }`, {
      input: { identityPoolId: "default", identityId: guest.identityId, deviceSecret: guest.deviceSecret },
    });
    expect((await syncApi(server.graphqlUrl, again.data!.signIn.token).page("notes")).datasetExists).toBe(false);
  });
});
