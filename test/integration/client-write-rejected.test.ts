/**
 * A write that passes this device's limit check but that the server refuses for good
 * (another device filled the quota while this one was offline) must not freeze the dataset. The
 * refused writes leave the outbox, are reported as `writeRejected` with their code, and the
 * server's values come back; pulls go on (client-trigger-refusal.test.ts: also after a push that
 * failed for now). The client checks writes against the pool's own limits,
 * learned at sign-in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClientEvents, SyncClient } from "../../client/index.js";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { TestNetwork } from "../helpers/client-network.js";

const POOL = "small";
let net: TestNetwork;
beforeAll(async () => {
  const pool = poolSettingsSchema.parse({ id: POOL, limits: { maxRecords: 3, maxDatasetBytes: 64 } });
  net = await TestNetwork.start({ config: { pools: [pool] } });
});
afterAll(async () => {
  await net.close();
});

/** Two devices of one identity in the small pool, both up to date with `seed`. */
async function twoDevices(prefix: string, seed: Record<string, string>) {
  const a = net.device(`${prefix}-a`).client({ identityPoolId: POOL });
  const guest = await a.signIn();
  for (const [key, value] of Object.entries(seed)) await a.dataset("d").put(key, value);
  await a.sync();
  const linkB = net.device(`${prefix}-b`);
  const b = linkB.client({ identityPoolId: POOL });
  await b.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret as string });
  await b.sync();
  const rejected: ClientEvents["writeRejected"][] = [];
  b.on("writeRejected", (event) => rejected.push(event));
  return { a, b, linkB, rejected };
}

async function write(client: SyncClient, values: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(values)) await client.dataset("d").put(key, value);
}

describe("a write the server refuses", () => {
  it("is reported, leaves the outbox and the local view, and later syncs pull again", async () => {
    const { a, b, linkB, rejected } = await twoDevices("quota", { r1: "1", r2: "2" });
    linkB.offline = true;
    await write(b, { b3: "from b" }); // 3 records here: within the limit
    await write(a, { a3: "from a" });
    await a.sync(); // the server now holds 3
    linkB.offline = false;

    await b.sync();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({
      dataset: "d",
      code: "LIMIT_EXCEEDED",
      records: [{ key: "b3", op: "REPLACE", value: "from b", kind: "STRING" }],
    });
    expect(await b.dataset("d").pendingCount()).toBe(0);
    expect(await b.dataset("d").getAll()).toEqual({ r1: "1", r2: "2", a3: "from a" });

    await write(a, { r1: "changed on a" });
    await a.sync();
    await b.sync();
    expect(await b.dataset("d").get("r1")).toBe("changed on a");
    expect(rejected).toHaveLength(1);
  });

  it("puts the server's value back on a refused edit of a synced key", async () => {
    const { a, b, linkB, rejected } = await twoDevices("restore", { r1: "x" });
    linkB.offline = true;
    await write(b, { r1: "b".repeat(40) }); // 42 bytes here: within 64
    await write(a, { big: "a".repeat(40) });
    await a.sync(); // 46 bytes on the server: r1 at 42 would make 85
    linkB.offline = false;

    await b.sync();
    expect(rejected.map((event) => event.code)).toEqual(["LIMIT_EXCEEDED"]);
    expect(await b.dataset("d").getAll()).toEqual({ r1: "x", big: "a".repeat(40) });
    expect(await b.dataset("d").pendingWrites()).toEqual([]);
  });
});

describe("the pool's limits", () => {
  it("are learned at sign-in and checked locally", async () => {
    const client = net.device("limits").client({ identityPoolId: POOL });
    await client.signIn();
    await write(client, { k1: "1", k2: "2", k3: "3" });
    await expect(client.dataset("d").put("k4", "4")).rejects.toMatchObject({ code: "LIMIT_EXCEEDED" });
    expect((await client.dataset("d").usage()).limits).toMatchObject({ maxRecords: 3, maxDatasetBytes: 64 });
  });
});

describe("pending writes", () => {
  it("are listed in write order and can be discarded, one key or all; the server's values come back", async () => {
    const link = net.device("discard");
    const client = link.client({ identityPoolId: POOL });
    await client.signIn();
    await client.dataset("d").put("old", "synced");
    await client.sync();
    link.offline = true;
    await client.dataset("d").put("new", "never sent");
    await client.dataset("d").put("old", "edited");
    expect(await client.dataset("d").pendingWrites()).toEqual([
      { key: "new", op: "REPLACE", value: "never sent", kind: "STRING", deviceLastModifiedAt: expect.any(Number) },
      { key: "old", op: "REPLACE", value: "edited", kind: "STRING", deviceLastModifiedAt: expect.any(Number) },
    ]);

    expect(await client.dataset("d").discardPending("new")).toBe(1);
    expect(await client.dataset("d").get("new")).toBeUndefined();
    expect(await client.dataset("d").discardPending()).toBe(1);
    expect(await client.dataset("d").pendingCount()).toBe(0);

    link.offline = false;
    await client.sync();
    expect(await client.dataset("d").getAll()).toEqual({ old: "synced" });
  });
});
