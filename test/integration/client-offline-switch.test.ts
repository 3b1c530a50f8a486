/**
 * Platforms without `online` events. `client.setOnline()` tells the client, and
 * `createOfflineSwitch` (syncpool/client/testing) takes a client's fetch and WebSocket offline
 * together and back, as an app developer's test would.
 * Binds a port: the client's live updates run on a real WebSocket, which the switch cuts with
 * fetch.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetworkError, createClient, type ClientOptions, type SyncClient } from "../../client/index.js";
import { createOfflineSwitch } from "../../client/testing.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
const clients: SyncClient[] = [];
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  for (const client of clients) await client.close();
  await server.close();
});

function newClient(options: Partial<ClientOptions>) {
  const client = createClient({
    endpoint: server.graphqlUrl,
    identityPoolId: "default",
    indexedDB: new IDBFactory(),
    IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange,
    intervalMs: 3_600_000,
    debounceMs: 10,
    backoff: { baseMs: 50, maxMs: 200 },
    ...options,
  });
  clients.push(client);
  return client;
}

describe("an offline switch", () => {
  it("takes fetch and live updates offline together, and the client catches up at once when back", async () => {
    const writer = newClient({ autoSync: false, live: false });
    const guest = await writer.signIn();
    const network = createOfflineSwitch({ WebSocket });
    let connections = 0;
    const Counted = class extends (network.WebSocket as typeof WebSocket) {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        this.on("open", () => (connections += 1));
      }
    };
    const reader = newClient({ fetch: network.fetch, WebSocket: Counted, live: true });
    network.attach(reader);
    const events: string[] = [];
    reader.on("online", () => events.push("online"));
    reader.on("offline", () => events.push("offline"));
    await reader.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret as string });
    await expect.poll(() => connections).toBe(1);

    network.goOffline();
    expect(events).toEqual(["offline"]);
    await expect(reader.sync()).rejects.toBeInstanceOf(NetworkError);
    await writer.dataset("d").put("k", "written while the reader was offline");
    await writer.sync();
    await reader.dataset("d").put("mine", "offline write");

    network.goOnline();
    expect(events).toEqual(["offline", "online"]);
    // No sync() call: coming online syncs at once, and live updates reconnect.
    await expect.poll(() => reader.dataset("d").get("k")).toBe("written while the reader was offline");
    await expect.poll(() => reader.dataset("d").pendingCount()).toBe(0);
    await expect.poll(() => connections).toBe(2);
  });
});

describe("setOnline", () => {
  it("syncs at once when the app says the network is back", async () => {
    // Writes alone would wait an hour (debounce): only coming online syncs them now.
    const client = newClient({ live: false, debounceMs: 3_600_000, debounceMaxWaitMs: 3_600_000 });
    await client.signIn();
    await expect.poll(() => client.syncState).toBe("idle");
    const events: string[] = [];
    client.on("online", () => events.push("online"));
    client.on("offline", () => events.push("offline"));
    client.setOnline(false);
    await client.dataset("d").put("k", "v");
    client.setOnline(true);
    await expect.poll(() => client.dataset("d").pendingCount()).toBe(0);
    expect(events).toEqual(["offline", "online"]);
  });

  it("reports online when the server answers after the app said the network was down", async () => {
    const client = newClient({ live: false });
    await client.signIn();
    await expect.poll(() => client.syncState).toBe("idle");
    const events: string[] = [];
    client.on("online", () => events.push("online"));
    client.on("offline", () => events.push("offline"));
    client.setOnline(false);
    // An explicit sync still tries; the server's answer is the newer fact.
    await client.sync();
    expect(events).toEqual(["offline", "online"]);
  });
});
