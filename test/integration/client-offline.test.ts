/**
 * Acceptance: a device writes while the server is down, the app restarts, the server comes back,
 * and another device sees every write.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetworkError } from "../../client/index.js";
import { TestNetwork } from "../helpers/client-network.js";

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.start();
});
afterAll(async () => {
  await net.close();
});

describe("offline writes", () => {
  it("survive a server outage and an app restart, and reach the other device", async () => {
    const a = net.device("a");
    const first = a.client();
    const guest = await first.signIn();
    await first.dataset("notes").put("before", "online");
    await first.sync();

    await net.stopServer();
    const offline: string[] = [];
    first.on("offline", () => offline.push("offline"));
    for (let i = 0; i < 20; i++) await first.dataset("notes").put(`k${i}`, `v${i}`);
    await first.dataset("notes").remove("before");
    await first.dataset("todo").put("milk", "2 l");
    await expect(first.sync()).rejects.toBeInstanceOf(NetworkError);
    expect(offline).toEqual(["offline"]);
    await first.close();

    // The app restarts while the server is still down: sign-in works from the stored guest.
    const restarted = a.client();
    expect(await restarted.signIn()).toMatchObject({ identityId: guest.identityId });
    await restarted.dataset("notes").put("after-restart", "yes");
    expect(await restarted.dataset("notes").pendingCount()).toBe(22);
    await expect(restarted.sync()).rejects.toBeInstanceOf(NetworkError);

    await net.startServer();
    await restarted.sync();
    expect(await restarted.dataset("notes").pendingCount()).toBe(0);

    const b = net.device("b").client();
    await b.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret as string });
    await b.sync();
    const expected: Record<string, string> = { "after-restart": "yes" };
    for (let i = 0; i < 20; i++) expected[`k${i}`] = `v${i}`;
    expect(await b.dataset("notes").getAll()).toEqual(expected);
    expect(await b.dataset("todo").getAll()).toEqual({ milk: "2 l" });
    expect((await b.dataset("notes").getRecord("before"))?.deleted).toBe(true);
  });

  it("syncs in the background after writes once the server is back (debounced, with backoff)", async () => {
    const a = net.device("bg-a").client({ autoSync: true, debounceMs: 20, backoff: { baseMs: 50, maxMs: 200 } });
    const guest = await a.signIn();
    await net.stopServer();
    const failed = new Promise((resolve) => a.on("offline", resolve));
    await a.dataset("bg").put("x", "1");
    // The debounced pass after the write found no server.
    await failed;
    await net.startServer();
    const b = net.device("bg-b").client();
    await b.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret as string });
    await expect
      .poll(async () => (await b.sync(), b.dataset("bg").get("x")), { timeout: 5_000, interval: 100 })
      .toBe("1");
  });
});
