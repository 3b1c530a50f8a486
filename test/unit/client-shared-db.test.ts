/**
 * Two clients on one IndexedDB in the same realm (two `createClient` in one page or process,
 * given the same factory) coordinate like tabs: one leads sync, and a wipe by one closes the other.
 */
import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { MemoryServer, memoryClient } from "../helpers/client-memory-transport.js";

const clients: SyncClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

function pairOnOneDatabase(server: MemoryServer, autoSync: boolean): [SyncClient, SyncClient, IDBFactory] {
  const indexedDB = new IDBFactory();
  const first = memoryClient(server, { indexedDB, autoSync });
  const second = memoryClient(server, { indexedDB, autoSync });
  clients.push(first, second);
  return [first, second, indexedDB];
}

describe("two clients on one IndexedDB", () => {
  it("sign in as the same guest and only one of them leads sync", async () => {
    const server = new MemoryServer();
    const [first, second] = pairOnOneDatabase(server, true);
    const [a, b] = await Promise.all([first.signIn(), second.signIn()]);
    expect(b.identityId).toBe(a.identityId);
    await expect.poll(() => [first.leadsSync, second.leadsSync].filter(Boolean).length).toBe(1);
    // The follower's write is pushed by the leader.
    await second.dataset("d").put("k", "from the follower");
    await expect.poll(() => server.dataset("d").records.get("k")?.value).toBe("from the follower");
    await expect.poll(() => first.dataset("d").pendingCount()).toBe(0);
  });

  it("hands the lead over when the leader closes", async () => {
    const [first, second] = pairOnOneDatabase(new MemoryServer(), true);
    await first.signIn();
    await second.signIn();
    await expect.poll(() => first.leadsSync).toBe(true);
    expect(second.leadsSync).toBe(false);
    await first.close();
    await expect.poll(() => second.leadsSync).toBe(true);
  });

  it("a wipe by one signs the other out and deletes the database", async () => {
    const [first, second, indexedDB] = pairOnOneDatabase(new MemoryServer(), false);
    const { identityId } = await first.signIn();
    await second.signIn();
    await second.dataset("d").put("k", "v");
    const signedOut: Array<{ wiped: boolean }> = [];
    second.on("signedOut", (event) => signedOut.push(event));
    await first.signOut({ wipe: true });
    await expect.poll(() => signedOut).toEqual([{ wiped: true }]);
    expect(second.identityId).toBeNull();
    await expect(second.dataset("d").get("k")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    expect((await indexedDB.databases()).map((db) => db.name)).not.toContain(`syncpool:${identityId}`);
  });
});
