/**
 * Sign-in, sign-out, token renewal, clock correction, local limits, watching and dataset
 * management against the real server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseClock } from "../../core/clock.js";
import type { SyncClient } from "../../client/index.js";
import { TestNetwork } from "../helpers/client-network.js";
import { sentOperationName } from "../helpers/sent-operation.js";

let net: TestNetwork;
let serverSkewMs = 0;
beforeAll(async () => {
  net = await TestNetwork.start({ now: () => Date.now() + serverSkewMs });
});
afterAll(async () => {
  await net.close();
});

async function pair(prefix: string): Promise<[SyncClient, SyncClient]> {
  const a = net.device(`${prefix}-a`).client();
  const guest = await a.signIn();
  const b = net.device(`${prefix}-b`).client();
  await b.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret as string });
  return [a, b];
}

describe("sign-in and sign-out", () => {
  it("keeps the same guest across restarts and signs out without losing data unless wiped", async () => {
    const link = net.device("s1");
    const client = link.client();
    const guest = await client.signIn();
    expect(guest.deviceSecret).toEqual(expect.any(String));
    await client.dataset("d").put("a", "1");
    await client.sync();
    await client.signOut();
    expect(client.identityId).toBeNull();
    await expect(client.dataset("d").get("a")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });

    expect((await client.signIn()).identityId).toBe(guest.identityId);
    expect(await client.dataset("d").get("a")).toBe("1");
    expect((await link.indexedDB.databases()).map((db) => db.name)).toContain(`syncpool:${guest.identityId}`);

    await client.signOut({ wipe: true });
    expect((await link.indexedDB.databases()).map((db) => db.name)).not.toContain(`syncpool:${guest.identityId}`);
    const next = await client.signIn();
    expect(next.identityId).not.toBe(guest.identityId);
    expect(await client.dataset("d").getAll()).toEqual({});
  });

  it("renews an expired token silently and retries", async () => {
    const link = net.device("s2");
    let signIns = 0;
    const client = link.client({
      fetch: (url, init) => {
        if (sentOperationName(init.body) === "SignIn") signIns += 1;
        return link.fetch(url, init);
      },
    });
    await client.signIn();
    await client.dataset("d").put("a", "1");
    await client.sync();
    expect(signIns).toBe(1);
    // The server's clock moves two days on: the token has expired, the client does not know.
    serverSkewMs = 2 * 24 * 3_600_000;
    try {
      await client.dataset("d").put("b", "2");
      await client.sync();
    } finally {
      serverSkewMs = 0;
    }
    expect(signIns).toBe(2);
    expect(await client.dataset("d").pendingCount()).toBe(0);
  });

  it("corrects a device clock running far ahead (CLOCK_SKEW) and gets its writes in", async () => {
    const link = net.device("s3");
    const client = link.client({ now: () => Date.now() + 6 * 3_600_000 });
    const { identityId } = await client.signIn();
    await client.dataset("d").put("a", "from the future");
    await client.sync();
    const [stored] = (await net.server!.storage.datasets.readRecords(identityId, "d", { sinceSyncCount: 0, limit: 10 })).records;
    expect(stored?.value).toBe("from the future");
    expect(Math.abs(parseClock(stored?.clock as string).wallMs - Date.now())).toBeLessThan(60_000);
    expect(await client.dataset("d").getRecord("a")).toMatchObject({ clock: stored?.clock, syncCount: 1 });
  });
});

describe("limits", () => {
  // Twenty-one datasets written and a 1 MB value refused, each through the client's store and the
  // server's durable commit: slow by nature on a busy machine.
  it("refuse a write over a limit at once, with the server's code", { timeout: 15_000 }, async () => {
    const client = net.device("l1").client();
    await client.signIn();
    const big = "x".repeat(1_048_576);
    await expect(client.dataset("d").put("big", big)).rejects.toMatchObject({
      code: "LIMIT_EXCEEDED",
      details: { limit: "maxDatasetBytes" },
    });
    for (let i = 0; i < 20; i++) await client.dataset(`ds${i}`).put("k", "v");
    await expect(client.dataset("ds20").put("k", "v")).rejects.toMatchObject({
      code: "LIMIT_EXCEEDED",
      details: { limit: "maxDatasets" },
    });
    await expect(client.dataset("d").put("x".repeat(1025), "v")).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    expect(await client.dataset("ds0").usage()).toMatchObject({ recordCount: 1, sizeBytes: 2, limits: { maxRecords: 1024 } });
    expect(await client.dataset("ds0").size()).toBe(2);
    expect(await client.dataset("ds0").recordCount()).toBe(1);
    await client.sync();
    expect(await client.dataset("d").pendingCount()).toBe(0);
  });
});

describe("datasets", () => {
  it("lists local and remote datasets", async () => {
    const [a, b] = await pair("ls");
    await a.dataset("shared").put("k", "v");
    await a.sync();
    await b.dataset("local-only").put("k", "v");
    const listed = await b.datasets();
    expect(listed.map((d) => [d.name, d.local, d.remote?.recordCount, d.pendingCount])).toEqual([
      ["local-only", true, undefined, 1],
      ["shared", false, 1, 0],
    ]);
  });

  it("delete removes a dataset on every device, which hears datasetDeleted", async () => {
    const [a, b] = await pair("del");
    await a.dataset("trash").put("k", "v");
    await a.sync();
    await b.sync();
    const deleted: string[] = [];
    b.on("datasetDeleted", (event) => deleted.push(event.dataset));
    await a.dataset("trash").delete();
    expect(await a.dataset("trash").getAll()).toEqual({});
    await a.sync();
    await b.sync();
    expect(deleted).toEqual(["trash"]);
    expect(await b.dataset("trash").getAll()).toEqual({});
    expect((await b.datasets()).map((d) => d.name)).not.toContain("trash");
  });

  it("watch calls back with local and synced changes", async () => {
    const [a, b] = await pair("watch");
    const values: Array<string | undefined> = [];
    const stop = b.dataset("w").watch("k", (value) => values.push(value));
    await expect.poll(() => values).toEqual([undefined]);
    await a.dataset("w").put("k", "remote");
    await a.sync();
    await b.sync();
    await expect.poll(() => values).toEqual([undefined, "remote"]);
    await b.dataset("w").put("k", "local");
    await expect.poll(() => values).toEqual([undefined, "remote", "local"]);
    stop();
    const all: Array<Record<string, string>> = [];
    const stopAll = b.dataset("w").watch(undefined, (v) => all.push(v));
    await expect.poll(() => all).toEqual([{ k: "local" }]);
    stopAll();
  });
});
