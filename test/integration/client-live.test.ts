/**
 * Acceptance (issue 4, client side): live updates over the server's `datasetChanged` subscription.
 * Device B never calls `sync()` and its interval never fires (an hour); every change it shows came
 * through the subscription, inline or by the pull it triggered. B's requests are counted to tell
 * which: an inline change costs B no request at all.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { TestNetwork, type DeviceLink } from "../helpers/client-network.js";
import { sentOperationName } from "../helpers/sent-operation.js";

let net: TestNetwork;
let serverSkewMs = 0;
beforeAll(async () => {
  net = await TestNetwork.start({ now: () => Date.now() + serverSkewMs });
});
afterAll(async () => {
  await net.close();
});

/** What B asked the server, by operation. */
interface Requests {
  all: string[];
  count(operation: string): number;
  reset(): void;
}

/** Device A (no background sync) and a live device B of the same identity, B subscribed. */
async function pair(prefix: string): Promise<{ a: SyncClient; b: SyncClient; linkB: DeviceLink; requests: Requests }> {
  const a = net.device(`${prefix}-a`).client();
  const guest = await a.signIn();
  const linkB = net.device(`${prefix}-b`);
  const requests: Requests = {
    all: [],
    count: (operation) => requests.all.filter((name) => name === operation).length,
    reset: () => void requests.all.splice(0),
  };
  const b = linkB.client({
    autoSync: true,
    intervalMs: 3_600_000,
    WebSocket: linkB.WebSocket,
    backoff: { baseMs: 50, maxMs: 400 },
    fetch: (url, init) => {
      requests.all.push(sentOperationName(init.body));
      return linkB.fetch(url, init);
    },
  });
  await b.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret as string });
  await expect.poll(() => linkB.liveSubscribes).toBe(1);
  // The start-up pass and the catch-up pass after connecting: B is idle and listening.
  await expect.poll(() => b.syncState).toBe("idle");
  // A marker written on A after B subscribed reaches B after every pass B started before it: once
  // B shows it and is idle, nothing of the start-up is still under way.
  await writeOnA(a, "ready", { marker: "1" });
  await expect.poll(() => b.dataset("ready").get("marker")).toBe("1");
  await expect.poll(() => b.syncState).toBe("idle");
  return { a, b, linkB, requests };
}

/** Writes on A and pushes. */
async function writeOnA(a: SyncClient, dataset: string, values: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(values)) await a.dataset(dataset).put(key, value);
  await a.sync();
}

// The server restarts and the client reconnects with backoff.
describe("live updates", { timeout: 20_000 }, () => {
  it("apply a change made on device A on device B without B syncing: records inline, no request", async () => {
    const { a, b, requests } = await pair("inline");
    // A dataset new to B is pulled once (B learns its strategy); later changes come inline.
    await writeOnA(a, "notes", { first: "1" });
    await expect.poll(() => b.dataset("notes").get("first")).toBe("1");
    await expect.poll(() => b.syncState).toBe("idle");

    requests.reset();
    await writeOnA(a, "notes", { second: "2" });
    await a.dataset("notes").remove("first");
    await a.sync();
    await expect.poll(() => b.dataset("notes").getAll()).toEqual({ second: "2" });
    expect(requests.all).toEqual([]);
  });

  it("pull a change too large to inline on B, and only that dataset", async () => {
    const { a, b, requests } = await pair("large");
    await writeOnA(a, "big", { seed: "s" });
    await expect.poll(() => b.dataset("big").get("seed")).toBe("s");
    await expect.poll(() => b.syncState).toBe("idle");

    requests.reset();
    // Over 64 KB together: the event carries no records.
    const large = Object.fromEntries(Array.from({ length: 3 }, (_, index) => [`blob${index}`, "x".repeat(30_000)]));
    await writeOnA(a, "big", large);
    await expect.poll(() => b.dataset("big").get("blob2")).toBe(large["blob2"]);
    expect(requests.count("Records")).toBeGreaterThanOrEqual(1);
    expect(requests.count("Datasets")).toBe(0);
  });

  it("push B's own writes without echoing them back to B", async () => {
    const { a, b, linkB, requests } = await pair("echo");
    const passes: unknown[] = [];
    b.on("syncStart", (event) => passes.push(event));
    requests.reset();
    await b.dataset("mine").put("k", "from B");
    // One debounced pass pushes (over B's live socket) and pulls; the event of B's own push causes nothing more.
    await expect.poll(() => linkB.socketPushes).toBe(1);
    await expect.poll(() => b.syncState).toBe("idle");
    // A change made on A after B's push reaches B inline (B knows "ready") and after the event of
    // B's own push: once B shows it, that event has been handled.
    await writeOnA(a, "ready", { marker: "after B's push" });
    await expect.poll(() => b.dataset("ready").get("marker")).toBe("after B's push");
    expect(passes).toHaveLength(1);
    expect(requests.all.filter((name) => name !== "Records")).toEqual([]);
    await a.sync();
    expect(await a.dataset("mine").get("k")).toBe("from B");
  });

  it("reconnect after the server restarts and catch up on what was missed", async () => {
    const { a, b, linkB } = await pair("restart");
    await writeOnA(a, "notes", { before: "1" });
    await expect.poll(() => b.dataset("notes").get("before")).toBe("1");

    // B loses the server; while it cannot reach it, the server restarts and A writes.
    linkB.offline = true;
    await net.stopServer();
    await net.startServer();
    await writeOnA(a, "notes", { missed: "while B was away" });
    // B tried the server again after A's write and was refused: still nothing.
    const refused = linkB.refusedAttempts;
    await expect.poll(() => linkB.refusedAttempts).toBeGreaterThan(refused);
    expect(await b.dataset("notes").get("missed")).toBeUndefined();

    linkB.offline = false;
    await expect.poll(() => b.dataset("notes").get("missed"), { timeout: 5_000 }).toBe("while B was away");
    expect(linkB.liveSubscribes).toBeGreaterThanOrEqual(2);
    // Subscribed again: the next change arrives live.
    await writeOnA(a, "notes", { after: "3" });
    await expect.poll(() => b.dataset("notes").get("after")).toBe("3");
  });

  it("sign in again silently when the server finds the token expired (4401), and resume", async () => {
    const { a, b, linkB, requests } = await pair("expiry");
    const errors: unknown[] = [];
    b.on("syncError", ({ error }) => errors.push(error));
    await writeOnA(a, "notes", { one: "1" });
    await expect.poll(() => b.dataset("notes").get("one")).toBe("1");

    requests.reset();
    // The server's clock passes the tokens' expiry (15 minutes): B's socket closes with 4401 on
    // the next change, which B then learns of by pulling after signing in again.
    serverSkewMs += 16 * 60_000;
    await writeOnA(a, "notes", { two: "2" });
    await expect.poll(() => b.dataset("notes").get("two"), { timeout: 5_000 }).toBe("2");
    expect(requests.count("SignIn")).toBe(1);
    expect(linkB.liveSubscribes).toBe(2);
    // The pull that brought "two" and the catch-up pass after subscribing again are over.
    await expect.poll(() => b.syncState).toBe("idle");

    requests.reset();
    await writeOnA(a, "notes", { three: "3" });
    await expect.poll(() => b.dataset("notes").get("three")).toBe("3");
    expect(requests.all).toEqual([]);
    expect(errors).toEqual([]);
  });
});
