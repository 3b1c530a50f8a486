import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { SyncpoolError } from "../../core/errors.js";
import type { SyncClient } from "../../client/index.js";
import { NetworkError } from "../../client/transport/network-error.js";
import type { PushInput } from "../../client/transport/transport.js";
import { MemoryServer, closedAfterEach, memoryClient } from "../helpers/client-memory-transport.js";

const track = closedAfterEach();

function pushes(server: MemoryServer): PushInput[] {
  return server.calls.filter((call) => call.method === "pushRecords").map((call) => call.args[1] as PushInput);
}

describe("pushing", () => {
  it("re-sends a batch whose answer was lost with the same mutation id, applied once", async () => {
    const server = new MemoryServer();
    const client = track(memoryClient(server));
    await client.signIn();
    await client.dataset("d").put("a", "1");
    server.loseNextAnswer("pushRecords", new NetworkError("connection reset"));
    await expect(client.sync()).rejects.toBeInstanceOf(NetworkError);
    await client.sync();
    const sent = pushes(server);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.mutationId).toBe(sent[0]?.mutationId);
    expect(server.dataset("d").syncCount).toBe(1);
    expect(await client.dataset("d").pendingCount()).toBe(0);
  });

  it("re-sends the stored batch after the app restarts", async () => {
    const server = new MemoryServer();
    const indexedDB = new IDBFactory();
    const first = track(memoryClient(server, { indexedDB }));
    await first.signIn();
    await first.dataset("d").put("a", "1");
    server.loseNextAnswer("pushRecords", new NetworkError("app killed"));
    await expect(first.sync()).rejects.toBeInstanceOf(NetworkError);
    await first.close();

    const second = track(memoryClient(server, { indexedDB }));
    await second.signIn();
    await second.dataset("d").put("b", "2");
    await second.sync();
    const sent = pushes(server);
    expect(sent[1]?.mutationId).toBe(sent[0]?.mutationId);
    expect(sent[1]?.patches.map((p) => p.key)).toEqual(["a"]);
    expect(sent[2]?.patches.map((p) => p.key)).toEqual(["b"]);
    expect(server.dataset("d").syncCount).toBe(2);
  });

  it("re-stamps a batch refused for CLOCK_SKEW with the server's time and a new mutation id", async () => {
    const server = new MemoryServer();
    const client = track(memoryClient(server, { now: () => server.now + 3_600_000 }));
    await client.signIn();
    await client.dataset("d").put("a", "1");
    server.failNext("pushRecords", new SyncpoolError("CLOCK_SKEW", "ahead", { serverTime: server.now }));
    await client.sync();
    const [refused, accepted] = pushes(server);
    expect(accepted?.mutationId).not.toBe(refused?.mutationId);
    const wallMs = Number(accepted?.patches[0]?.clock?.slice(0, 15));
    expect(wallMs).toBeGreaterThanOrEqual(server.now);
    expect(wallMs).toBeLessThan(server.now + 1_000);
    expect(await client.dataset("d").get("a")).toBe("1");
    // Later writes are stamped with the corrected clock too.
    await client.dataset("d").put("b", "2");
    await client.sync();
    expect(Number(pushes(server)[2]?.patches[0]?.clock?.slice(0, 15))).toBeLessThan(server.now + 1_000);
  });

  it("waits as long as RATE_LIMITED says, then retries", async () => {
    const server = new MemoryServer();
    const client = track(memoryClient(server));
    await client.signIn();
    await client.dataset("d").put("a", "1");
    server.failNext("pushRecords", new SyncpoolError("RATE_LIMITED", "slow down", { retryAfterMs: 120 }));
    const started = Date.now();
    await client.sync();
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    expect(server.dataset("d").syncCount).toBe(1);
  });

  it("signs in again silently when the token expired, and retries once", async () => {
    const server = new MemoryServer();
    const client = track(memoryClient(server));
    await client.signIn();
    await client.dataset("d").put("a", "1");
    server.validTokens.clear();
    await client.sync();
    expect(server.calls.filter((call) => call.method === "signIn")).toHaveLength(2);
    expect(server.dataset("d").syncCount).toBe(1);
  });
});

describe("pulling", () => {
  it("fetches every page and reports progress with the total on a first sync", async () => {
    const server = new MemoryServer();
    const writer = track(memoryClient(server));
    await writer.signIn();
    for (let i = 0; i < 7; i++) await writer.dataset("d").put(`k${i}`, String(i));
    await writer.sync();

    const reader = track(memoryClient(server, { pageSize: 3 }));
    const progress: unknown[] = [];
    reader.on("syncProgress", (event) => progress.push(event));
    await reader.signIn();
    await reader.sync();
    expect(Object.keys(await reader.dataset("d").getAll())).toHaveLength(7);
    expect(progress).toEqual([
      { dataset: "d", fetched: 3, total: 7 },
      { dataset: "d", fetched: 6, total: 7 },
      { dataset: "d", fetched: 7, total: 7 },
    ]);
  });

  it("drops a dataset deleted elsewhere, keeps pending writes and pushes them to the new dataset", async () => {
    const server = new MemoryServer();
    const a = track(memoryClient(server));
    const b = track(memoryClient(server));
    await a.signIn();
    await b.signIn();
    await a.dataset("d").put("old", "x");
    await a.sync();
    await b.sync();
    await b.dataset("d").put("pending", "keep");
    await a.dataset("d").delete();
    await a.sync();
    const deleted: string[] = [];
    b.on("datasetDeleted", (event) => deleted.push(event.dataset));
    await b.sync();
    expect(deleted).toEqual(["d"]);
    expect(await b.dataset("d").getAll()).toEqual({ pending: "keep" });
    await a.sync();
    expect(await a.dataset("d").getAll()).toEqual({ pending: "keep" });
  });

  it("reports datasets merged from another identity", async () => {
    const server = new MemoryServer();
    const original = server.transport.records;
    server.transport.records = async (token, args) => ({ ...(await original(token, args)), mergedDatasetNames: ["d"] });
    const client = track(memoryClient(server));
    await client.signIn();
    const merged: unknown[] = [];
    client.on("datasetsMerged", (event) => merged.push(event));
    await client.dataset("d").put("a", "1");
    await client.sync();
    expect(merged).toEqual([{ dataset: "d", mergedDatasetNames: ["d"] }]);
  });
});

describe("OPTIMISTIC conflicts", () => {
  async function conflictSetup() {
    const server = new MemoryServer();
    server.dataset("d").strategy = "OPTIMISTIC";
    const a = track(memoryClient(server));
    const b = track(memoryClient(server));
    await a.signIn();
    await b.signIn();
    await a.dataset("d").put("k", "base");
    await a.sync();
    await b.sync();
    await a.dataset("d").put("k", "from-a");
    await a.sync();
    await b.dataset("d").put("k", "from-b");
    return { server, a, b };
  }

  it.each([
    ["useRemote", "from-a"],
    ["useLocal", "from-b"],
    ["useValue", "merged"],
  ] as const)("resolves with %s and ends with both devices equal", async (pick, expected) => {
    const { server, a, b } = await conflictSetup();
    const seen: unknown[] = [];
    b.dataset("d").onConflict((conflicts) => {
      for (const conflict of conflicts) {
        seen.push({ key: conflict.key, local: conflict.local?.value, remote: conflict.remote?.value });
        if (pick === "useValue") conflict.useValue("merged");
        else conflict[pick]();
      }
    });
    await b.sync();
    await a.sync();
    expect(seen).toEqual([{ key: "k", local: "from-b", remote: "from-a" }]);
    expect(await a.dataset("d").get("k")).toBe(expected);
    expect(await b.dataset("d").get("k")).toBe(expected);
    expect(server.dataset("d").records.get("k")?.value).toBe(expected);
    expect(await b.dataset("d").pendingCount()).toBe(0);
  });

  it("keeps unresolved conflicts pending, reports them on every sync, and pushes the rest", async () => {
    const { server, b } = await conflictSetup();
    await b.dataset("d").put("other", "fine");
    const reports: string[][] = [];
    b.on("conflict", (event) => reports.push(event.conflicts.map((c) => c.key)));
    await expect(b.sync()).rejects.toMatchObject({ code: "CONFLICT", details: { keys: ["k"] } });
    expect(server.dataset("d").records.get("other")?.value).toBe("fine");
    await expect(b.sync()).rejects.toMatchObject({ code: "CONFLICT" });
    expect(reports).toEqual([["k"], ["k"]]);
    expect(await b.dataset("d").get("k")).toBe("from-b");
    b.dataset("d").onConflict((conflicts) => conflicts.forEach((c) => c.useLocal()));
    await b.sync();
    expect(server.dataset("d").records.get("k")?.value).toBe("from-b");
  });
});

describe("signing in", () => {
  it("resolves offline with the stored guest, and fetches the token when the network returns", async () => {
    const server = new MemoryServer();
    const indexedDB = new IDBFactory();
    const first = track(memoryClient(server, { indexedDB }));
    const guest = await first.signIn();
    await first.close();
    const signIns = server.calls.filter((call) => call.method === "signIn").length;
    const second = track(memoryClient(server, { indexedDB }));
    expect(await second.signIn()).toMatchObject({ identityId: guest.identityId, deviceSecret: guest.deviceSecret });
    // No network was needed.
    expect(server.calls.filter((call) => call.method === "signIn")).toHaveLength(signIns);
    await second.dataset("d").put("a", "offline write");
    await second.sync();
    expect(server.dataset("d").records.get("a")?.value).toBe("offline write");
  });

  it("needs the network to create a new guest", async () => {
    const server = new MemoryServer();
    server.failNext("signIn", new NetworkError("offline"));
    const client = track(memoryClient(server));
    await expect(client.signIn()).rejects.toBeInstanceOf(NetworkError);
  });

  it("rejects reads and writes before sign-in with UNAUTHENTICATED, and bad input with BAD_USER_INPUT", async () => {
    const client = track(memoryClient(new MemoryServer()));
    await expect(client.dataset("d").put("a", "1")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    expect(() => client.dataset("bad name!")).toThrow(expect.objectContaining({ code: "BAD_USER_INPUT" }));
    await client.signIn();
    await expect(client.dataset("d").put("", "1")).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
  });
});

describe("background triggers", () => {
  it("pushes after a write (debounced) and pulls when told the remote changed", async () => {
    const server = new MemoryServer();
    const a = track(memoryClient(server, { autoSync: true, debounceMs: 10, debounceMaxWaitMs: 50 }));
    const b = track(memoryClient(server, { autoSync: true, debounceMs: 10 }));
    await a.signIn();
    await b.signIn();
    const done: unknown[] = [];
    b.on("syncDone", (event) => done.push(event));
    await a.dataset("d").put("k", "v");
    await expect.poll(() => server.dataset("d").records.get("k")?.value).toBe("v");
    await expect.poll(() => done.length).toBeGreaterThan(0);
    expect(await b.dataset("d").get("k")).toBeUndefined();
    b.notifyRemoteChange("d");
    await expect.poll(() => b.dataset("d").get("k")).toBe("v");
    const pulls = server.calls.filter((call) => call.method === "records");
    expect(pulls.at(-1)?.args[1]).toMatchObject({ dataset: "d" });
  });

  it("emits syncStart, syncDone, syncError, offline and online", async () => {
    const server = new MemoryServer();
    const client = track(memoryClient(server));
    const events: string[] = [];
    for (const name of ["syncStart", "syncDone", "syncError", "offline", "online"] as const) {
      client.on(name, () => events.push(name));
    }
    await client.signIn();
    await client.sync();
    server.failNext("datasets", new NetworkError("down"));
    await expect(client.sync()).rejects.toBeInstanceOf(NetworkError);
    await client.sync();
    expect(events).toEqual(["syncStart", "syncDone", "syncStart", "offline", "syncError", "syncStart", "online", "syncDone"]);
  });
});
