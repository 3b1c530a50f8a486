/**
 * `client.sync()` through the change feed, each device with its own fake-indexeddb against a real
 * server: a second device of the identity converges with one request, and a quiet sync is one
 * request too; a cursor older than the stream keeps falls back to pulling each dataset and
 * converges; a shared dataset the app opened gets its changes through the same one request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { poolSettingsSchema } from "../../server/config.js";
import { TestNetwork } from "../helpers/client-network.js";

let net: TestNetwork;
beforeAll(async () => {
  const pool = poolSettingsSchema.parse({
    id: "default",
    stream: { shards: 2 },
    sharedDatasets: [{ name: "notice-*", owner: "pool", read: ["any"], write: ["any"] }],
  });
  net = await TestNetwork.start({ config: { pools: [pool] } });
}, 60_000);
afterAll(async () => {
  await net.close();
});

let devices = 0;
/** Two devices of one new identity, each counting the GraphQL requests it sends. */
async function twoDevices(): Promise<Array<{ client: SyncClient; requests: string[] }>> {
  const guest = await net.server!.signInGuest();
  return Promise.all(
    [0, 1].map(async () => {
      const link = net.device(`feed-${++devices}`);
      const requests: string[] = [];
      const client = link.client({
        fetch: (url, init) => {
          requests.push(typeof init.body === "string" ? init.body : "");
          return link.fetch(url, init);
        },
      });
      await client.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret });
      return { client, requests };
    }),
  );
}

/** How many requests `run` sent. */
async function requestsOf(device: { requests: string[] }, run: () => Promise<unknown>): Promise<number> {
  const before = device.requests.length;
  await run();
  return device.requests.length - before;
}

describe("client sync through the change feed", { timeout: 60_000 }, () => {
  it("a second device converges on one changed dataset among several with one request, and a quiet sync is one request", async () => {
    const [writer, reader] = await twoDevices();
    for (const name of ["a", "b", "c"]) await writer!.client.dataset(name).put("k", `${name}1`);
    await writer!.client.sync();
    await reader!.client.sync();
    expect(await reader!.client.dataset("c").get("k")).toBe("c1");

    await writer!.client.dataset("b").put("k", "b2");
    await writer!.client.dataset("b").put("new", "n");
    await writer!.client.sync();
    const progress: string[] = [];
    reader!.client.on("syncProgress", (event) => progress.push(`${event.dataset}:${event.fetched}`));
    expect(await requestsOf(reader!, () => reader!.client.sync())).toBe(1);
    expect(await reader!.client.dataset("b").getAll()).toEqual({ k: "b2", new: "n" });
    expect(progress).toEqual(["b:2"]);
    expect(await requestsOf(reader!, () => reader!.client.sync())).toBe(1);
  });

  it("a device whose cursor is older than the stream keeps pulls each dataset instead, then uses the feed again", async () => {
    const [writer, reader] = await twoDevices();
    await writer!.client.dataset("x").put("k", "1");
    await writer!.client.sync();
    await reader!.client.sync();
    await writer!.client.dataset("x").put("k", "2");
    await writer!.client.dataset("y").put("k", "new dataset");
    await writer!.client.sync();
    for (let shard = 0; shard < 2; shard++) await net.server!.storage.stream.trimStream("default", shard, Number.MAX_SAFE_INTEGER, 1_000_000);

    // The feed answers resync: the list of datasets and a pull of each follow.
    expect(await requestsOf(reader!, () => reader!.client.sync())).toBeGreaterThan(2);
    expect(await reader!.client.dataset("x").get("k")).toBe("2");
    expect(await reader!.client.dataset("y").get("k")).toBe("new dataset");
    await writer!.client.dataset("x").put("k", "3");
    await writer!.client.sync();
    expect(await requestsOf(reader!, () => reader!.client.sync())).toBe(1);
    expect(await reader!.client.dataset("x").get("k")).toBe("3");
  });

  it("brings a change to a shared dataset the app opened in the same one request", async () => {
    const [writer, reader] = await twoDevices();
    const writerBoard = writer!.client.sharedDataset("notice-board");
    await writerBoard.put("welcome", "hello");
    await writerBoard.sync();
    const readerBoard = reader!.client.sharedDataset("notice-board");
    await readerBoard.sync();
    await reader!.client.sync();
    expect(await readerBoard.get("welcome")).toBe("hello");
    await writerBoard.put("today", "meeting at 10");
    await writer!.client.sync();
    expect(await requestsOf(reader!, () => reader!.client.sync())).toBe(1);
    expect(await readerBoard.get("today")).toBe("meeting at 10");
  });

  it("pushes local writes as before in a full sync, and the writer's next quiet sync is one request", async () => {
    const [writer, reader] = await twoDevices();
    await writer!.client.sync();
    await writer!.client.dataset("w").put("k", "v");
    await writer!.client.sync();
    await reader!.client.sync();
    expect(await reader!.client.dataset("w").get("k")).toBe("v");
    await writer!.client.sync();
    expect(await requestsOf(writer!, () => writer!.client.sync())).toBe(1);
  });
});
