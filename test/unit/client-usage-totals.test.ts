import { afterEach, describe, expect, it } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { applyPull } from "../../client/store/apply-pull.js";
import { openIdentityDb } from "../../client/store/identity-db.js";
import { usageOf } from "../../client/store/record-state.js";
import { readTotals, usageMetaId } from "../../client/store/usage-totals.js";
import { HybridClock } from "../../core/clock.js";
import type { SyncRecord } from "../../core/types.js";
import { MemoryServer, memoryClient } from "../helpers/client-memory-transport.js";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";

const clients: SyncClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

function tracked(server: MemoryServer, options: Parameters<typeof memoryClient>[1] = {}): { client: SyncClient; indexedDB: IDBFactory } {
  const indexedDB = new IDBFactory();
  const client = memoryClient(server, { indexedDB, ...options });
  clients.push(client);
  return { client, indexedDB };
}

/** The stored totals row and a fresh count of the records, read straight from the database. */
async function totalsAndCount(indexedDB: IDBFactory, identityId: string, dataset: string) {
  const db = await openIdentityDb(identityId, { indexedDB, IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange });
  try {
    const row = (await db.meta.get(usageMetaId(dataset))) as { recordCount: number; sizeBytes: number } | undefined;
    const counted = usageOf(await db.records.where("dataset").equals(dataset).toArray());
    return { stored: row ? { recordCount: row.recordCount, sizeBytes: row.sizeBytes } : undefined, counted };
  } finally {
    db.close();
  }
}

describe("running usage totals", () => {
  it("stay equal to a recount through local writes, removes, pulls and another device's changes", async () => {
    const server = new MemoryServer();
    const { client: a, indexedDB } = tracked(server);
    const { identityId, deviceSecret } = await a.signIn();
    const { client: b } = tracked(server);
    await b.signIn({ identityId, deviceSecret: deviceSecret as string });
    await a.dataset("d").putMany({ one: "1", two: "22", three: "333" });
    await a.dataset("d").remove("two");
    await a.sync();
    await b.sync();
    await b.dataset("d").put("one", "a longer value");
    await b.dataset("d").put("four", "4");
    await b.sync();
    await a.sync();
    await a.dataset("d").put("five", "5");
    const { stored, counted } = await totalsAndCount(indexedDB, identityId, "d");
    expect(counted).toEqual({ recordCount: 4, sizeBytes: usageOf([
      { key: "one", value: "a longer value", deleted: false },
      { key: "two", value: null, deleted: true },
      { key: "three", value: "333", deleted: false },
      { key: "four", value: "4", deleted: false },
      { key: "five", value: "5", deleted: false },
    ]).sizeBytes });
    // Either known and right, or dropped after a bulk rewrite (then the next write recounts).
    if (stored) expect(stored).toEqual(counted);
    expect(await a.dataset("d").usage()).toMatchObject(counted);
  });

  it("are what a put checks the limits against, instead of re-reading the dataset", async () => {
    const server = new MemoryServer();
    const { client, indexedDB } = tracked(server, { limits: { maxRecords: 5 } });
    const { identityId } = await client.signIn();
    await client.dataset("d").put("a", "1");
    await client.close();
    // Totals that say the dataset is full: a put that re-read the records would pass.
    const db = await openIdentityDb(identityId, { indexedDB, IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange });
    await db.meta.put({ id: usageMetaId("d"), recordCount: 5, sizeBytes: 2 });
    db.close();
    const reopened = memoryClient(server, { indexedDB, limits: { maxRecords: 5 } });
    clients.push(reopened);
    await reopened.signIn();
    await expect(reopened.dataset("d").put("b", "2")).rejects.toMatchObject({ code: "LIMIT_EXCEEDED", details: { limit: "maxRecords" } });
  });

  it("move once per key when a pull brings a key twice (pages read in different snapshots), to its later version", async () => {
    const db = await openIdentityDb("local:twice", { indexedDB: new IDBFactory(), IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange });
    try {
      const clock = new HybridClock("dev-a", () => T0);
      const pull = (records: SyncRecord[], datasetSyncCount: number) =>
        applyPull(db, { dataset: "d", records, datasetSyncCount, conflictStrategy: "CRDT", dropSynced: false, datasetExists: true }, clock);
      await pull([pulled("a", "1", 1)], 1);
      expect(await readTotals(db, "d")).toEqual({ recordCount: 1, sizeBytes: usageOf([{ key: "a", value: "1", deleted: false }]).sizeBytes });
      await pull([pulled("a", "22", 2), pulled("b", "3", 3), pulled("a", "a longer value", 4)], 4);
      expect((await db.records.get(["d", "a"]))?.value).toBe("a longer value");
      const stored = await db.meta.get(usageMetaId("d"));
      expect(stored).toMatchObject(usageOf(await db.records.where("dataset").equals("d").toArray()));
      expect(stored).toMatchObject({ recordCount: 2 });
    } finally {
      db.close();
    }
  });
});

const T0 = 1_700_000_000_000;
/** A STRING record as the server sends it. */
function pulled(key: string, value: string, syncCount: number): SyncRecord {
  const clock = `${String(T0 + syncCount).padStart(15, "0")}-000000-dev-b`;
  return { key, value, kind: "STRING", syncCount, clock, lastModifiedBy: "dev-b", lastModifiedAt: T0, deviceLastModifiedAt: T0, deleted: false };
}

describe("batched writes", () => {
  it("putMany stores every entry or none when the batch crosses a limit", async () => {
    const { client } = tracked(new MemoryServer(), { limits: { maxRecords: 3 } });
    await client.signIn();
    const d = client.dataset("d");
    await d.put("a", "1");
    await expect(d.putMany([["b", "2"], ["c", "3"], ["e", "4"]])).rejects.toMatchObject({ code: "LIMIT_EXCEEDED" });
    expect(await d.getAll()).toEqual({ a: "1" });
    expect(await d.pendingCount()).toBe(1);
    await d.putMany([["b", "2"], ["c", "3"]]);
    expect(await d.getAll()).toEqual({ a: "1", b: "2", c: "3" });
  });

  it("client.transaction stores writes to several datasets together, or none when fn throws", async () => {
    const { client } = tracked(new MemoryServer());
    await client.signIn();
    await expect(
      client.transaction((tx) => {
        tx.dataset("x").put("k", "v");
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    expect(await client.dataset("x").getAll()).toEqual({});
    const answer = await client.transaction(async (tx) => {
      tx.dataset("x").put("k", "v");
      tx.dataset("y").putMany({ p: "1", q: "2" });
      tx.dataset("y").remove("p");
      return 42;
    });
    expect(answer).toBe(42);
    expect(await client.dataset("x").getAll()).toEqual({ k: "v" });
    expect(await client.dataset("y").getAll()).toEqual({ q: "2" });
  });

  it("client.transaction refuses a bad key before storing anything", async () => {
    const { client } = tracked(new MemoryServer());
    await client.signIn();
    await expect(
      client.transaction((tx) => {
        tx.dataset("x").put("ok", "1");
        tx.dataset("x").put("", "2");
      }),
    ).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    expect(await client.dataset("x").getAll()).toEqual({});
  });
});
