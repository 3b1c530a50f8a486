/**
 * Queries read the identity's in-memory record cache: these tests prove it never shows stale data.
 * Every path that changes a dataset is followed: local writes, pulls, live changes, another
 * client's writes to the same database (as another tab), dataset deletes, sign-out and sign-in.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { HybridClock } from "../../core/clock.js";
import { encodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut } from "../../core/json-record.js";
import { EMPTY_JSON_STATE } from "../../core/json-state.js";
import type { JsonObject } from "../../core/json-value.js";
import type { SyncRecord } from "../../core/types.js";
import { applyLiveChange } from "../../client/store/apply-live-change.js";
import { applyPull } from "../../client/store/apply-pull.js";
import { openIdentityDb, type IdentityDb } from "../../client/store/identity-db.js";
import { MemoryServer, memoryClient } from "../helpers/client-memory-transport.js";

const clients: SyncClient[] = [];
const opened: IdentityDb[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const db of opened.splice(0)) db.close();
});

function client(server: MemoryServer, indexedDB = new IDBFactory()): SyncClient {
  const made = memoryClient(server, { indexedDB });
  clients.push(made);
  return made;
}

const titles = async (c: SyncClient, dataset = "todos") => (await c.dataset<JsonObject>(dataset).query({ orderBy: [{ field: "title" }] })).map((row) => row.value.title);

const T0 = 1_700_000_000_000;
let counter = 0;
/** A JSON record as the server stamps it. */
function jsonRecord(key: string, object: object, syncCount: number): SyncRecord {
  const clock = `${String(T0 + ++counter).padStart(15, "0")}-000000-dev-b`;
  const value = encodeJsonState(applyJsonPut(EMPTY_JSON_STATE, object, clock));
  return { key, value, kind: "JSON", syncCount, clock, lastModifiedBy: "dev-b", lastModifiedAt: T0, deviceLastModifiedAt: T0, deleted: false };
}

async function storeWith(records: SyncRecord[]): Promise<{ db: IdentityDb; clock: HybridClock }> {
  const db = await openIdentityDb("local:cache", { indexedDB: new IDBFactory(), IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange });
  opened.push(db);
  const clock = new HybridClock("dev-a", () => T0);
  const pulled = { dataset: "todos", records, datasetSyncCount: records.length, conflictStrategy: "CRDT" as const, dropSynced: false, datasetExists: true };
  await applyPull(db, pulled, clock);
  return { db, clock };
}

const cachedTitles = async (db: IdentityDb) => [...(await db.recordCache.rows("todos")).values()].map((cached) => cached.row.value.title).sort();

describe("the query cache", () => {
  it("a query sees a local write at once: put, update, unset, remove and a batch", async () => {
    const device = client(new MemoryServer());
    await device.signIn();
    const todos = device.dataset<{ title: string; done?: boolean }>("todos");
    expect(await titles(device)).toEqual([]);
    await todos.put("a", { title: "milk", done: false });
    expect(await todos.query()).toEqual([{ key: "a", value: { title: "milk", done: false } }]);
    await todos.update("a", { done: true });
    expect((await todos.query({ where: { field: "done", eq: true } })).map((row) => row.key)).toEqual(["a"]);
    await todos.unset("a", "done");
    expect(await todos.query({ where: { field: "done", exists: true } })).toEqual([]);
    await device.transaction((tx) => {
      tx.dataset("todos").put("b", { title: "bread" });
      tx.dataset("todos").put("c", { title: "eggs" });
    });
    expect(await titles(device)).toEqual(["bread", "eggs", "milk"]);
    await todos.remove("a");
    expect(await titles(device)).toEqual(["bread", "eggs"]);
  });

  it("a query's rows are the caller's to change and do not change the next result", async () => {
    const device = client(new MemoryServer());
    await device.signIn();
    await device.dataset<JsonObject>("todos").put("a", { title: "milk", tags: ["x"] });
    const [row] = await device.dataset<JsonObject>("todos").query();
    (row!.value.tags as string[]).push("changed");
    row!.value.title = "changed";
    expect(await device.dataset<JsonObject>("todos").query()).toEqual([{ key: "a", value: { title: "milk", tags: ["x"] } }]);
  });

  it("a query sees a pulled change", async () => {
    const server = new MemoryServer();
    const [device, other] = [client(server), client(server)];
    await device.signIn();
    await other.signIn();
    await device.dataset<JsonObject>("todos").put("a", { title: "milk" });
    await device.sync();
    expect(await titles(device)).toEqual(["milk"]);
    await other.dataset<JsonObject>("todos").sync();
    await other.dataset<JsonObject>("todos").update("a", { title: "oat milk" });
    await other.dataset<JsonObject>("todos").put("b", { title: "bread" });
    await other.sync();
    await device.dataset<JsonObject>("todos").sync();
    expect(await titles(device)).toEqual(["bread", "oat milk"]);
  });

  it("a query sees a live change", async () => {
    const { db, clock } = await storeWith([jsonRecord("a", { title: "milk" }, 1)]);
    expect(await cachedTitles(db)).toEqual(["milk"]);
    const outcome = await applyLiveChange(db, "todos", 2, [jsonRecord("b", { title: "bread" }, 2)], clock);
    expect(outcome.applied).toBe(true);
    expect(await cachedTitles(db)).toEqual(["bread", "milk"]);
  });

  it("a query sees a pull of many records at once (a range of keys) and of removals", async () => {
    const { db, clock } = await storeWith([jsonRecord("a", { title: "milk" }, 1)]);
    expect(await cachedTitles(db)).toEqual(["milk"]);
    const many = Array.from({ length: 60 }, (_, index) => jsonRecord(`k${index}`, { title: `t${index}` }, 2 + index));
    await applyPull(db, { dataset: "todos", records: many, datasetSyncCount: 61, conflictStrategy: "CRDT", dropSynced: false, datasetExists: true }, clock);
    expect(await cachedTitles(db)).toHaveLength(61);
    const removed = { ...jsonRecord("a", {}, 62), value: null, deleted: true };
    await applyPull(db, { dataset: "todos", records: [removed], datasetSyncCount: 62, conflictStrategy: "CRDT", dropSynced: false, datasetExists: true }, clock);
    expect(await cachedTitles(db)).not.toContain("milk");
  });

  it("a query sees another tab's write (two clients on one database)", async () => {
    const server = new MemoryServer();
    const indexedDB = new IDBFactory();
    const [tab, otherTab] = [client(server, indexedDB), client(server, indexedDB)];
    await tab.signIn();
    await otherTab.signIn();
    const seen: string[][] = [];
    const stop = tab.dataset<JsonObject>("todos").watchQuery().subscribe((rows) => seen.push(rows.map((row) => row.key)));
    expect(await titles(tab)).toEqual([]);
    await otherTab.dataset<JsonObject>("todos").put("a", { title: "milk" });
    expect(await titles(tab)).toEqual(["milk"]);
    await expect.poll(() => seen.at(-1)).toEqual(["a"]);
    await otherTab.dataset<JsonObject>("todos").remove("a");
    expect(await titles(tab)).toEqual([]);
    await expect.poll(() => seen.at(-1)).toEqual([]);
    stop();
  });

  it("a query is empty after sign-out and shows the other identity's data after sign-in", async () => {
    const server = new MemoryServer();
    const device = client(server);
    await device.signIn();
    const seen: string[][] = [];
    const stop = device.dataset<JsonObject>("todos").watchQuery().subscribe((rows) => seen.push(rows.map((row) => row.key)));
    await device.dataset<JsonObject>("todos").put("mine", { title: "first identity's" });
    await expect.poll(() => seen.at(-1)).toEqual(["mine"]);

    // A wipe forgets the guest: the next sign-in is another identity, with nothing to carry over.
    await device.signOut({ wipe: true });
    await expect.poll(() => seen.at(-1)).toEqual([]);
    const signedOutAt = seen.length;
    await expect(device.dataset<JsonObject>("todos").query()).rejects.toMatchObject({ code: "UNAUTHENTICATED" });

    server.identityId = "local:00000000-0000-4000-8000-000000000009";
    server.dataset("todos").records.set("theirs", jsonRecord("theirs", { title: "second identity's" }, 1));
    server.dataset("todos").syncCount = 1;
    await device.signIn();
    expect(await titles(device)).toEqual([]);
    await device.dataset<JsonObject>("todos").sync();
    expect(await titles(device)).toEqual(["second identity's"]);
    await expect.poll(() => seen.at(-1)).toEqual(["theirs"]);
    expect(seen.slice(signedOutAt).flat()).not.toContain("mine");
    stop();
  });

  it("a query is empty after a dataset delete", async () => {
    const device = client(new MemoryServer());
    await device.signIn();
    await device.dataset<JsonObject>("todos").putMany({ a: { title: "milk" }, b: { title: "bread" } });
    await device.dataset<JsonObject>("other").put("c", { title: "kept" });
    expect(await titles(device)).toEqual(["bread", "milk"]);
    expect(await titles(device, "other")).toEqual(["kept"]);
    await device.dataset<JsonObject>("todos").delete();
    expect(await titles(device)).toEqual([]);
    expect(await titles(device, "other")).toEqual(["kept"]);
  });

  it("a write that rolls back leaves the cached rows as they were", async () => {
    const { db } = await storeWith([jsonRecord("a", { title: "milk" }, 1)]);
    expect(await cachedTitles(db)).toEqual(["milk"]);
    await expect(
      db.transaction("rw", db.records, async () => {
        await db.records.put({ ...jsonRecord("b", { title: "bread" }, 2), dataset: "todos" });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await cachedTitles(db)).toEqual(["milk"]);
  });

  it("keeps only a few idle datasets and drops everything when the database closes", async () => {
    const { db } = await storeWith([jsonRecord("a", { title: "milk" }, 1)]);
    const first = await db.recordCache.rows("todos");
    for (const name of ["d1", "d2", "d3", "d4"]) await db.recordCache.rows(name);
    // "todos" was the least recently used of five idle datasets: it is read again.
    expect(await db.recordCache.rows("todos")).not.toBe(first);
    const again = await db.recordCache.rows("todos");
    expect(await db.recordCache.rows("todos")).toBe(again);
    db.close();
    await expect(db.recordCache.rows("todos")).rejects.toThrow();
  });

  it("a watched dataset follows writes made after the database closed and opened again", async () => {
    const { db } = await storeWith([jsonRecord("a", { title: "milk" }, 1)]);
    const seen: string[][] = [];
    const stop = db.recordCache.watch("todos", {
      next: (rows) => seen.push([...rows.keys()]),
      error: (error) => seen.push([String(error)]),
    });
    await expect.poll(() => seen.at(-1)).toEqual(["a"]);
    // What the browser does to a page entering the back-forward cache: close, open on next use.
    db.close({ disableAutoOpen: false });
    await db.records.put({ ...jsonRecord("b", { title: "bread" }, 2), dataset: "todos" });
    await expect.poll(() => seen.at(-1)?.sort()).toEqual(["a", "b"]);
    stop();
  });
});
