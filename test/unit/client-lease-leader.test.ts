/**
 * One sync leader per database without Web Locks: two clients on one IndexedDB, with neither Web
 * Locks nor a BroadcastChannel between them, elect a leader through the lease row in the
 * database. Fake timers drive the lease's checks; IndexedDB (fake-indexeddb, run on setImmediate)
 * keeps real time.
 */
import { IDBFactory } from "fake-indexeddb";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { MemoryServer, memoryClient } from "../helpers/client-memory-transport.js";

const LEASE_MS = 3_000;
const clients: SyncClient[] = [];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  vi.useRealTimers();
});

/** A client of `indexedDB` with no Web Locks and no BroadcastChannel: only the lease is left. */
function leaseClient(server: MemoryServer, indexedDB: IDBFactory, now: () => number = Date.now): SyncClient {
  const client = memoryClient(server, { indexedDB, autoSync: true, debounceMs: 10, tabs: { leaseMs: LEASE_MS }, now });
  clients.push(client);
  return client;
}

/** Two clients signed in as one guest on one database; the first leads. */
async function leaderAndFollower(server: MemoryServer, followerNow?: () => number): Promise<[SyncClient, SyncClient, IDBFactory]> {
  const indexedDB = new IDBFactory();
  const leader = leaseClient(server, indexedDB);
  await leader.signIn();
  await expect.poll(() => leader.leadsSync).toBe(true);
  const follower = leaseClient(server, indexedDB, followerNow);
  await follower.signIn();
  return [leader, follower, indexedDB];
}

function pushesOf(server: MemoryServer, key: string): number {
  return server.calls.filter((call) => call.method === "pushRecords" && JSON.stringify(call.args[1]).includes(`"${key}"`)).length;
}

/** Lets `ms` pass on the fake clock, letting IndexedDB work in between. */
async function elapse(ms: number): Promise<void> {
  for (let step = 0; step < ms; step += 100) await vi.advanceTimersByTimeAsync(100);
}

describe("one leader per database without Web Locks", () => {
  it("lets only one of two clients on one database lead", async () => {
    const [leader, follower] = await leaderAndFollower(new MemoryServer());
    await elapse(LEASE_MS * 2);
    expect(leader.leadsSync).toBe(true);
    expect(follower.leadsSync).toBe(false);
  });

  it("has the leader push the follower's write, once", async () => {
    const server = new MemoryServer();
    const [leader, follower] = await leaderAndFollower(server);
    await follower.dataset("d").put("from-follower", "v");
    // The follower has no channel: it asks through the lease row, seen on the leader's next renewal.
    await elapse(LEASE_MS);
    await expect.poll(() => server.dataset("d").records.get("from-follower")?.value).toBe("v");
    await expect.poll(() => leader.dataset("d").pendingCount()).toBe(0);
    await elapse(LEASE_MS * 2);
    expect(pushesOf(server, "from-follower")).toBe(1);
    expect(follower.leadsSync).toBe(false);
  });

  it("hands the lead over within one lease when the leader closes", async () => {
    const [leader, follower] = await leaderAndFollower(new MemoryServer());
    await elapse(LEASE_MS);
    expect(follower.leadsSync).toBe(false);
    await leader.close();
    // Closing frees the lease: the follower's next check (every third of a lease) takes it.
    await elapse(LEASE_MS / 3 + 100);
    await expect.poll(() => follower.leadsSync).toBe(true);
  });

  it("takes over an expired lease when the leader stops renewing it", async () => {
    const server = new MemoryServer();
    // The leader's renewals are written with a clock stuck in the past: its lease is never renewed
    // past its first expiry, as when its tab is frozen.
    const indexedDB = new IDBFactory();
    const frozenAt = Date.now();
    const leader = leaseClient(server, indexedDB, () => frozenAt);
    await leader.signIn();
    await expect.poll(() => leader.leadsSync).toBe(true);
    const follower = leaseClient(server, indexedDB);
    await follower.signIn();
    await elapse(LEASE_MS / 3);
    expect(follower.leadsSync).toBe(false);
    await elapse(LEASE_MS);
    await expect.poll(() => follower.leadsSync).toBe(true);
    // The old leader learns it on its next check and follows.
    await elapse(LEASE_MS / 3 + 100);
    await expect.poll(() => leader.leadsSync).toBe(false);
  });

  it("signs the other client out when one wipes the database", async () => {
    const [wiper, other, indexedDB] = await leaderAndFollower(new MemoryServer());
    const identityId = wiper.identityId;
    await other.dataset("d").put("k", "v");
    const signedOut: Array<{ wiped: boolean }> = [];
    other.on("signedOut", (event) => signedOut.push(event));
    await wiper.signOut({ wipe: true });
    await expect.poll(() => signedOut).toEqual([{ wiped: true }]);
    expect(other.identityId).toBeNull();
    await expect(other.dataset("d").get("k")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await elapse(LEASE_MS);
    expect((await indexedDB.databases()).map((db) => db.name)).not.toContain(`syncpool:${identityId}`);
  });
});
