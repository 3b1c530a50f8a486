/**
 * Live subscriptions over SSE (yoga's GraphQL over SSE, read with `fetch` streaming) against a
 * real server, side by side with a WebSocket device of the same identity.
 * Binds a port: SSE and WebSocket subscriptions are real streams.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PUSH_CONFIG } from "../../server/push/push-config.js";
import { connectWs, subscriptionsReleased, subscribeSse, type LiveSubscription, type WsConnection } from "../helpers/push-clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

const open: Array<LiveSubscription | WsConnection> = [];
/** Servers this test subscribed on: released before the next test counts again. */
const used: TestServer[] = [];
afterEach(async () => {
  for (const item of open.splice(0)) "dispose" in item ? await item.dispose() : item.close();
  for (const server of used.splice(0)) await subscriptionsReleased(server);
});
function sse(server: TestServer, token: string | null, variables: { dataset?: string; since?: number } = {}) {
  const subscription = subscribeSse(server, token, variables);
  open.push(subscription);
  used.push(server);
  return subscription;
}

describe("datasetChanged over SSE", () => {
  let nowMs = Date.now();
  let server: TestServer;
  let alice: { token: string; api: SyncApi };
  let bob: { token: string; api: SyncApi };

  beforeAll(async () => {
    server = await startTestServer({ now: () => nowMs, config: { push: { ...DEFAULT_PUSH_CONFIG, maxConnectionsPerIdentity: 3 } } });
    const signIn = async () => {
      const { token } = await server.signInGuest();
      return { token, api: syncApi(server.graphqlUrl, token) };
    };
    alice = await signIn();
    bob = await signIn();
  });
  afterAll(async () => server?.close());

  it("streams a push from a WebSocket-connected device to an SSE device of the same identity, never to another identity", async () => {
    const browser = sse(server, alice.token, { dataset: "notes" });
    const bobsBrowser = sse(server, bob.token, { dataset: "notes" });
    const phone = connectWs(server, alice.token);
    open.push(phone);
    used.push(server);
    const phoneSub = phone.subscribe({ dataset: "notes" });
    await Promise.all([browser.ready, bobsBrowser.ready, phoneSub.ready]);
    expect(await browser.status).toBe(200);

    await alice.api.push({ dataset: "notes", deviceId: "phone", mutationId: "m-sse-1", patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    expect(await browser.next()).toMatchObject({ dataset: "notes", syncCount: 1, deviceId: "phone", mutationId: "m-sse-1", records: [{ key: "k", value: "v" }] });
    expect(await phoneSub.next()).toMatchObject({ mutationId: "m-sse-1" });
    // Heard in commit order: bob's next change is the first thing bob's browser hears.
    await bob.api.push({ dataset: "notes", deviceId: "bobs-laptop", mutationId: "m-bob-1", patches: [{ op: "REPLACE", key: "k", value: "bob's" }] });
    expect(await bobsBrowser.next()).toMatchObject({ mutationId: "m-bob-1" });
  });

  it("answers a subscription without a token with UNAUTHENTICATED", async () => {
    const anonymous = sse(server, null, { dataset: "notes" });
    expect(await anonymous.errors.next()).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "UNAUTHENTICATED" }) })]);
  });

  it("tells a resuming SSE device it is behind", async () => {
    await alice.api.push({ dataset: "later", deviceId: "phone", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    await alice.api.push({ dataset: "later", deviceId: "phone", patches: [{ op: "REPLACE", key: "b", value: "2" }] });
    const browser = sse(server, alice.token, { dataset: "later", since: 0 });
    expect(await browser.next()).toMatchObject({ dataset: "later", syncCount: 2, behind: true, records: null });
  });

  it("counts SSE streams against the identity's connection limit", async () => {
    const { token, identityId } = await server.signInGuest();
    const streams = [sse(server, token), sse(server, token), sse(server, token)];
    await Promise.all(streams.map((stream) => stream.ready));
    const fourth = sse(server, token);
    expect(await fourth.errors.next()).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: "LIMIT_EXCEEDED", limit: "maxConnectionsPerIdentity" }) }),
    ]);
    streams[0]!.close();
    await expect.poll(() => server.running.server.push.connectionCount(identityId)).toBe(2);
    const again = sse(server, token, { dataset: "x" });
    await again.ready;
    await syncApi(server.graphqlUrl, token).push({ dataset: "x", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    expect(await again.next()).toMatchObject({ dataset: "x" });
  });

  it("ends the stream with UNAUTHENTICATED when its token has expired", async () => {
    const { token, identityId, deviceSecret } = await server.signInGuest();
    const browser = sse(server, token, { dataset: "notes" });
    await browser.ready;
    nowMs += 16 * 60 * 1000;
    const fresh = await server.gql<{ signIn: { token: string } }>(
      `mutation ($input: SignInInput!) { signIn(input: $input) { token } }`,
      { input: { identityPoolId: "default", identityId, deviceSecret } },
    );
    await syncApi(server.graphqlUrl, fresh.data!.signIn.token).push({ dataset: "notes", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    expect(await browser.errors.next()).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "UNAUTHENTICATED" }) })]);
    expect(browser.events.items).toEqual([]);
  });
});
