/**
 * Closing or signing out a live client while its subscription waits to reconnect
 * (the network dropped) must not leave a rejected promise behind: in Node that ends the process.
 * The unhandled-rejection trap (test/helpers/unhandled-rejection-trap.ts) fails these tests if it
 * does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { TestNetwork, type DeviceLink } from "../helpers/client-network.js";

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.start();
});
afterAll(async () => {
  await net.close();
});

/** A live client whose network has dropped and whose subscription is between reconnect attempts. */
async function reconnectingClient(name: string): Promise<{ client: SyncClient; link: DeviceLink }> {
  const link = net.device(name);
  let attempts = 0;
  const Counted = class extends link.WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      attempts += 1;
    }
  };
  const client = link.client({ autoSync: true, intervalMs: 3_600_000, WebSocket: Counted, backoff: { baseMs: 20, maxMs: 60_000 } });
  await client.signIn();
  await expect.poll(() => link.liveSubscribes).toBe(1);
  link.offline = true;
  const before = attempts;
  for (const socket of link.sockets) socket.terminate();
  // Two refused attempts prove the subscription is in its retry loop; with no socket open it
  // is waiting (its backoff doubles, so the wait is long by now).
  await expect.poll(() => attempts - before, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
  await expect.poll(() => link.sockets.size).toBe(0);
  return { client, link };
}

describe("a live client whose network dropped", () => {
  it("closes without an unhandled rejection while its subscription waits to reconnect", async () => {
    const { client } = await reconnectingClient("close-reconnecting");
    await client.close();
    expect(client.syncState).toBe("stopped");
  });

  it("signs out without an unhandled rejection while its subscription waits to reconnect", async () => {
    const { client } = await reconnectingClient("signout-reconnecting");
    await client.signOut();
    expect(client.identityId).toBeNull();
  });
});
