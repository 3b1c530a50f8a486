/**
 * Live subscriptions over a real WebSocket (graphql-ws client on `ws`) against a real server:
 * who hears what, inline records, resuming behind, and the connection's limits.
 * Binds a port: graphql-ws on a real WebSocket, whose TCP socket one test pauses.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PUSH_CONFIG } from "../../server/push/push-config.js";
import { PUSH_CLOSE_CODES } from "../../server/push/close-codes.js";
import { connectWs, subscriptionsReleased, type WsConnection } from "../helpers/push-clients.js";
import { poolSettingsSchema } from "../../server/config.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

/** The test that floods a socket which stopped reading: tens of pushes of 60 kB, slow on a busy machine. */
const FLOOD_TIMEOUT_MS = 60_000;
const connections: WsConnection[] = [];
function connect(server: TestServer, token: string | null): WsConnection {
  const connection = connectWs(server, token);
  connections.push(connection);
  used.push(server);
  return connection;
}
/** Servers this test subscribed on: released before the next test counts again. */
const used: TestServer[] = [];
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.dispose()));
  for (const server of used.splice(0)) await subscriptionsReleased(server);
});

// A hook starting a server may start its worker's first one, which also pays for the first imports
// and compilations of the server's code: about three times a later start's CPU (0.43 s against
// 0.15 s measured), past vitest's 10 s for a hook on a busy two-core machine.
const SERVER_START_HOOK_TIMEOUT_MS = 30_000;

describe("datasetChanged over graphql-ws", () => {
  let server: TestServer;
  let alice: { token: string; identityId: string; api: SyncApi };
  let bob: { token: string; identityId: string; api: SyncApi };

  beforeAll(async () => {
    server = await startTestServer();
    const signIn = async () => {
      const session = await server.signInGuest();
      return { ...session, api: syncApi(server.graphqlUrl, session.token) };
    };
    alice = await signIn();
    bob = await signIn();
  }, SERVER_START_HOOK_TIMEOUT_MS);
  afterAll(async () => server?.close());

  it("brings a push on one device to the identity's other devices, records inline, and never to another identity", async () => {
    const phone = connect(server, alice.token).subscribe({ dataset: "notes" });
    const laptop = connect(server, alice.token).subscribe({ dataset: "notes" });
    const bobsPhone = connect(server, bob.token).subscribe({ dataset: "notes" });
    await Promise.all([phone.ready, laptop.ready, bobsPhone.ready]);

    const pushed = await alice.api.push({ dataset: "notes", deviceId: "laptop", mutationId: "m-ws-1", patches: [{ op: "REPLACE", key: "title", value: "hello" }] });
    const heard = await phone.next();
    expect(heard).toEqual({
      dataset: "notes",
      syncCount: pushed.datasetSyncCount,
      deviceId: "laptop",
      mutationId: "m-ws-1",
      deleted: false,
      behind: false,
      records: [{ key: "title", value: "hello", kind: "STRING", syncCount: pushed.datasetSyncCount, deleted: false, lastModifiedBy: "laptop" }],
    });
    // The writer's own connection hears it too (other tabs); it skips its own mutation id.
    expect(await laptop.next()).toMatchObject({ mutationId: "m-ws-1" });

    // A listener hears changes in commit order, so the first thing each hears after another
    // identity's change is its own identity's next one: nothing of the other identity slipped in.
    await bob.api.push({ dataset: "notes", deviceId: "bobs-phone", patches: [{ op: "REPLACE", key: "title", value: "bob's" }] });
    expect(await bobsPhone.next()).toMatchObject({ deviceId: "bobs-phone", records: [{ value: "bob's" }] });
    await alice.api.push({ dataset: "notes", deviceId: "laptop", mutationId: "m-ws-2", patches: [{ op: "REPLACE", key: "title", value: "again" }] });
    expect(await phone.next()).toMatchObject({ mutationId: "m-ws-2" });
    await bob.api.push({ dataset: "notes", deviceId: "bobs-phone", mutationId: "m-bob-2", patches: [{ op: "REPLACE", key: "title", value: "bob's again" }] });
    expect(await bobsPhone.next()).toMatchObject({ mutationId: "m-bob-2" });
  });

  it("hears every dataset of the identity when no dataset is named, and only that one when it is", async () => {
    const everything = connect(server, alice.token).subscribe();
    const todoOnly = connect(server, alice.token).subscribe({ dataset: "todo" });
    await Promise.all([everything.ready, todoOnly.ready]);
    await alice.api.push({ dataset: "diary", deviceId: "phone", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    await alice.api.push({ dataset: "todo", deviceId: "phone", patches: [{ op: "REPLACE", key: "b", value: "2" }] });
    expect((await everything.next()).dataset).toBe("diary");
    expect((await everything.next()).dataset).toBe("todo");
    expect((await todoOnly.next()).dataset).toBe("todo");
    // Heard in commit order: a second "todo" change comes next, so "diary" (or a repeat) never came.
    await alice.api.push({ dataset: "todo", deviceId: "phone", mutationId: "m-todo-2", patches: [{ op: "REPLACE", key: "b", value: "3" }] });
    expect(await todoOnly.next()).toMatchObject({ dataset: "todo", mutationId: "m-todo-2" });
  });

  it("sends a large change without its records, so the device pulls", async () => {
    const sub = connect(server, alice.token).subscribe({ dataset: "big" });
    await sub.ready;
    const value = "x".repeat(40_000);
    const pushed = await alice.api.push({ dataset: "big", deviceId: "laptop", patches: [{ op: "REPLACE", key: "a", value }, { op: "REPLACE", key: "b", value }] });
    expect(await sub.next()).toMatchObject({ dataset: "big", syncCount: pushed.datasetSyncCount, records: null, behind: false });
  });

  it("tells of a dataset deletion", async () => {
    await alice.api.push({ dataset: "doomed", deviceId: "laptop", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    const sub = connect(server, alice.token).subscribe({ dataset: "doomed" });
    await sub.ready;
    const removed = await alice.api.remove("doomed");
    expect(await sub.next()).toEqual({ dataset: "doomed", syncCount: removed.syncCount, deviceId: null, mutationId: null, deleted: true, behind: false, records: [] });
  });

  it("tells a device that resumes with an old count at once that it is behind, then streams on", async () => {
    for (const key of ["a", "b", "c"]) await alice.api.push({ dataset: "resume", deviceId: "laptop", patches: [{ op: "REPLACE", key, value: key }] });
    const sub = connect(server, alice.token).subscribe({ dataset: "resume", since: 1 });
    expect(await sub.next()).toEqual({ dataset: "resume", syncCount: 3, deviceId: null, mutationId: null, deleted: false, behind: true, records: null });
    await alice.api.push({ dataset: "resume", deviceId: "laptop", patches: [{ op: "REPLACE", key: "d", value: "d" }] });
    expect(await sub.next()).toMatchObject({ syncCount: 4, behind: false, records: [{ key: "d" }] });
  });

  it("says nothing on resume when the device is up to date", async () => {
    await alice.api.push({ dataset: "current", deviceId: "laptop", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    const sub = connect(server, alice.token).subscribe({ dataset: "current", since: 1 });
    await sub.ready;
    // A later change must come through. An up-to-date resume says nothing, so the first event is
    // about count 2: a "behind" at count 1 would be the bug. (When the server's resume check reads
    // the dataset after this push, it rightly says "behind" at count 2.)
    await alice.api.push({ dataset: "current", deviceId: "laptop", patches: [{ op: "REPLACE", key: "a", value: "2" }] });
    expect(await sub.next()).toMatchObject({ dataset: "current", syncCount: 2 });
  });

  it("refuses a connection without a token with 4401", async () => {
    const connection = connect(server, null);
    expect(await connection.opened).toEqual({ closed: { code: PUSH_CLOSE_CODES.UNAUTHORIZED, reason: expect.stringMatching(/unauthorized/) } });
  });

  it("refuses a connection with a forged token with 4401", async () => {
    const [header, payload] = alice.token.split(".");
    const connection = connect(server, `${header}.${payload}.c2lnbmF0dXJl`);
    expect(await connection.opened).toEqual({ closed: { code: 4401, reason: expect.stringMatching(/invalid token/) } });
  });

  it("rejects a subscription without a dataset that names a count", async () => {
    const sub = connect(server, alice.token).subscribe({ since: 3 });
    expect(await sub.errors.next()).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "BAD_USER_INPUT", field: "sinceSyncCount" }) })]);
  });
});

describe("graphql-ws connection limits and token expiry", () => {
  let nowMs = Date.now();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      now: () => nowMs,
      config: {
        tokenTtlSeconds: 600,
        push: { ...DEFAULT_PUSH_CONFIG, maxSubscriptionsPerConnection: 2, maxConnectionsPerIdentity: 2, maxBufferedBytes: 65_536 },
        // The slow-consumer test floods on purpose: no budget of pushed bytes in its way.
        pools: [poolSettingsSchema.parse({ id: "default", rateLimits: { pushBytes: { burst: 1_000_000_000, perSecond: 1_000_000_000 } } })],
      },
    });
  }, SERVER_START_HOOK_TIMEOUT_MS);
  afterAll(async () => server?.close());

  it("refuses an expired token with 4401 and a reason saying so", async () => {
    const { token } = await server.signInGuest();
    nowMs += 601_000;
    const connection = connect(server, token);
    expect(await connection.opened).toEqual({ closed: { code: 4401, reason: expect.stringMatching(/token expired/) } });
  });

  it("closes a connection with 4401 when its token expires while connected", async () => {
    const { token, identityId, deviceSecret } = await server.signInGuest();
    const connection = connect(server, token);
    const sub = connection.subscribe({ dataset: "notes" });
    await sub.ready;
    nowMs += 601_000;
    // A fresh token of the same identity pushes; the expired connection is told to sign in instead.
    const fresh = await server.gql<{ signIn: { token: string } }>(
      `mutation ($input: SignInInput!) { signIn(input: $input) { token } }`,
      { input: { identityPoolId: "default", identityId, deviceSecret } },
    );
    await syncApi(server.graphqlUrl, fresh.data!.signIn.token).push({ dataset: "notes", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    expect(await connection.closes.next()).toEqual({ code: 4401, reason: expect.stringMatching(/token expired/) });
    expect(sub.events.items).toEqual([]);
  });

  it("refuses a subscription over the per-connection limit and keeps the others", async () => {
    const { token } = await server.signInGuest();
    const connection = connect(server, token);
    const first = connection.subscribe({ dataset: "a" });
    const second = connection.subscribe({ dataset: "b" });
    const third = connection.subscribe({ dataset: "c" });
    expect(await third.errors.next()).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: "LIMIT_EXCEEDED", limit: "maxSubscriptionsPerConnection", max: 2 }) }),
    ]);
    await Promise.all([first.ready, second.ready]);
    await syncApi(server.graphqlUrl, token).push({ dataset: "b", patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    expect(await second.next()).toMatchObject({ dataset: "b" });
  });

  // Slow by nature: megabytes of pushes until the kernel's buffers and ours are full (how many
  // depends on how the kernel sized them), then the server's close grace. Every wait is for a fact:
  // this bound is only there to fail a test that never gets there.
  it("drops a connection that stops reading instead of buffering for it", { timeout: FLOOD_TIMEOUT_MS }, async () => {
    const { token, identityId } = await server.signInGuest();
    const connection = connect(server, token);
    const subs = [connection.subscribe({ dataset: "flood" }), connection.subscribe()];
    await Promise.all(subs.map((sub) => sub.ready));
    // The device stops reading: its TCP socket is paused, so the kernel's buffers fill (several MB
    // on loopback), then ours.
    (connection.socket() as unknown as { _socket: { pause(): void } })._socket.pause();
    const api = syncApi(server.graphqlUrl, token);
    const value = "v".repeat(60_000);
    let pushes = 0;
    for (; pushes < 1000 && server.running.server.push.connectionCount(identityId) > 0; pushes++) {
      await api.push({ dataset: "flood", patches: [{ op: "REPLACE", key: "k", value: `${pushes}${value}` }] });
    }
    expect(server.running.server.push.connectionCount(identityId)).toBe(0);
    (connection.socket() as unknown as { _socket: { resume(): void } })._socket.resume();
    // 4413 when the close frame got through before the cut, 1006 when the socket was cut first.
    expect([4413, 1006]).toContain((await connection.closes.next(FLOOD_TIMEOUT_MS)).code);
  });

  it("refuses a connection over the per-identity limit with 4420, and admits one once another closed", async () => {
    const { token, identityId } = await server.signInGuest();
    const first = connect(server, token);
    const second = connect(server, token);
    expect(await first.opened).toMatchObject({ ack: { identityId: expect.any(String) } });
    expect(await second.opened).toMatchObject({ ack: expect.anything() });
    expect(await connect(server, token).opened).toEqual({ closed: { code: PUSH_CLOSE_CODES.TOO_MANY_CONNECTIONS, reason: expect.stringMatching(/too many connections/) } });
    await first.dispose();
    await expect.poll(() => server.running.server.push.connectionCount(identityId)).toBe(1);
    expect(await connect(server, token).opened).toMatchObject({ ack: expect.anything() });
  });
});
