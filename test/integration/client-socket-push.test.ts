/**
 * Pushes over the live connection: a live client pushes over its graphql-ws socket while it is
 * open, by HTTP when it is not, and by HTTP again (once, same mutation id) when the socket drops
 * before the push's answer arrives, which the server answers without applying the push twice.
 * Which way a push went is read from the device's counts (pushes sent on its sockets, and its
 * HTTP requests by operation), never from timing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { TestNetwork, type DeviceLink } from "../helpers/client-network.js";
import { syncApi } from "../helpers/sync-api.js";
import { sentOperationName } from "../helpers/sent-operation.js";

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.start();
});
afterAll(async () => {
  await net.close();
});

/** A live client on its own device, subscribed and idle, with its HTTP requests counted by operation. */
async function liveDevice(name: string): Promise<{ client: SyncClient; link: DeviceLink; httpPushes: () => number; token: () => Promise<string> }> {
  const link = net.device(name);
  const operations: string[] = [];
  const client = link.client({
    autoSync: true,
    intervalMs: 3_600_000,
    WebSocket: link.WebSocket,
    backoff: { baseMs: 50, maxMs: 400 },
    fetch: (url, init) => {
      operations.push(sentOperationName(init.body));
      return link.fetch(url, init);
    },
  });
  const session = await client.signIn();
  await expect.poll(() => link.liveSubscribes).toBe(1);
  await expect.poll(() => client.syncState).toBe("idle");
  const token = async () => {
    const again = await net.server!.gql<{ signIn: { token: string } }>(`mutation ($input: SignInInput!) { signIn(input: $input) { token } }`, {
      input: { identityPoolId: "default", identityId: session.identityId, deviceSecret: session.deviceSecret },
    });
    return again.data!.signIn.token;
  };
  return { client, link, httpPushes: () => operations.filter((operation) => operation === "Push").length, token };
}

/** The server's view of `dataset` for the device's identity. */
async function serverView(token: string, dataset: string): Promise<{ syncCount: number; values: Record<string, string | null> }> {
  const page = await syncApi(net.server!.graphqlUrl, token).page(dataset);
  return { syncCount: page.datasetSyncCount, values: Object.fromEntries(page.records.map((record) => [record.key, record.value])) };
}

describe("pushes over the live connection", { timeout: 20_000 }, () => {
  it("go over the open socket, with no HTTP request", async () => {
    const { client, link, httpPushes, token } = await liveDevice("over-socket");
    await client.dataset("notes").put("title", "over the socket");
    await client.sync();
    expect(link.socketPushes).toBe(1);
    expect(httpPushes()).toBe(0);
    expect(await serverView(await token(), "notes")).toEqual({ syncCount: 1, values: { title: "over the socket" } });
  });

  it("go by HTTP while the socket is down, and over the socket again once it is back", async () => {
    const { client, link, httpPushes, token } = await liveDevice("socket-down");
    link.socketsDown = true;
    const refused = link.refusedAttempts;
    link.dropSockets();
    // The client tried to reconnect and was refused: the socket is down, HTTP is not.
    await expect.poll(() => link.refusedAttempts).toBeGreaterThan(refused);
    await client.dataset("notes").put("title", "by HTTP");
    await client.sync();
    expect(httpPushes()).toBe(1);
    expect(link.socketPushes).toBe(0);

    link.socketsDown = false;
    await expect.poll(() => link.liveSubscribes).toBe(2);
    await client.dataset("notes").put("title", "over the socket again");
    await client.sync();
    expect(link.socketPushes).toBe(1);
    expect(httpPushes()).toBe(1);
    expect(await serverView(await token(), "notes")).toEqual({ syncCount: 2, values: { title: "over the socket again" } });
  });

  it("are sent again by HTTP when the socket drops before the answer, and applied once", async () => {
    const { client, link, httpPushes, token } = await liveDevice("interrupted");
    // The server commits the push; its answer is lost with the socket.
    link.dropSocketPushAnswers = 1;
    await client.dataset("notes").put("title", "once");
    await client.sync();
    expect(link.dropSocketPushAnswers).toBe(0);
    expect(link.socketPushes).toBe(1);
    expect(httpPushes()).toBe(1);
    // One push, one sync count: the HTTP copy was answered from the first, not applied again.
    const view = await serverView(await token(), "notes");
    expect(view.syncCount).toBe(1);
    expect(view.values["title"]).toBe("once");
    expect(await client.dataset("notes").get("title")).toBe("once");
    // graphql-ws does not send the withdrawn push again on the new socket.
    await expect.poll(() => link.liveSubscribes).toBe(2);
    await expect.poll(() => client.syncState).toBe("idle");
    expect(link.socketPushes).toBe(1);
    expect((await serverView(await token(), "notes")).syncCount).toBe(1);
  });
});
