import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { HybridClock } from "../../core/clock.js";
import { DEFAULT_LIMITS } from "../../core/limits.js";
import type { Limits, SyncRecord } from "../../core/types.js";
import { applyPull } from "../../client/store/apply-pull.js";
import { openIdentityDb, type IdentityDb } from "../../client/store/identity-db.js";
import { writeLocal, type WriteContext } from "../../client/store/local-write.js";
import { ackBatch, takeBatch } from "../../client/store/push-store.js";
import { readDatasetMeta } from "../../client/store/read-records.js";

const opened: IdentityDb[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

async function setup(limits: Partial<Limits> = {}) {
  const db = await openIdentityDb("local:test", {
    indexedDB: new IDBFactory(),
    IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange,
  });
  opened.push(db);
  let now = 1_700_000_000_000;
  const clock = new HybridClock("dev-a", () => now);
  const context: WriteContext = { deviceId: "dev-a", clock, now: () => now++, limits: { ...DEFAULT_LIMITS, ...limits } };
  const put = (key: string, value: string | null, dataset = "d") =>
    writeLocal(db, { dataset, key, op: value === null ? "REMOVE" : "REPLACE", value, kind: "STRING" }, context);
  return { db, context, put, clock };
}

function serverRecord(key: string, value: string | null, syncCount: number, clock: string): SyncRecord {
  return {
    key,
    value,
    kind: "STRING",
    syncCount,
    clock,
    lastModifiedBy: clock.split("-").slice(2).join("-"),
    lastModifiedAt: 1,
    deviceLastModifiedAt: 1,
    deleted: value === null,
  };
}

describe("local writes", () => {
  it("change the record and append to the outbox together", async () => {
    const { db, put } = await setup();
    await put("a", "1");
    await put("a", "2");
    await put("b", null);
    expect((await db.records.get(["d", "a"]))?.value).toBe("2");
    expect((await db.records.get(["d", "b"]))?.deleted).toBe(true);
    const outbox = await db.outbox.toArray();
    expect(outbox.map((row) => [row.key, row.op, row.value])).toEqual([
      ["a", "REPLACE", "1"],
      ["a", "REPLACE", "2"],
      ["b", "REMOVE", null],
    ]);
    // Clocks only grow, and the persisted clock is the latest.
    expect(outbox.map((row) => row.clock)).toEqual([...outbox.map((row) => row.clock)].sort());
    expect(await db.meta.get("clock")).toMatchObject({ last: outbox[2]?.clock });
  });

  it("leave neither the record nor the outbox changed when the outbox insert fails", async () => {
    const { db, put } = await setup();
    await put("a", "1");
    db.outbox.hook("creating", () => {
      throw new Error("disk full");
    });
    await expect(put("a", "2")).rejects.toThrow("disk full");
    expect((await db.records.get(["d", "a"]))?.value).toBe("1");
    expect(await db.outbox.count()).toBe(1);
  });

  it("leave neither changed when the record write fails", async () => {
    const { db, put } = await setup();
    db.records.hook("creating", () => {
      throw new Error("quota");
    });
    await expect(put("a", "1")).rejects.toThrow("quota");
    expect(await db.outbox.count()).toBe(0);
  });

  it("fail at once with LIMIT_EXCEEDED naming the limit, writing nothing", async () => {
    const { db, put } = await setup({ maxRecords: 2, maxDatasetBytes: 40, maxDatasets: 1 });
    await put("a", "1");
    await put("b", "2");
    await expect(put("c", "3")).rejects.toMatchObject({ code: "LIMIT_EXCEEDED", details: { limit: "maxRecords" } });
    await expect(put("a", "x".repeat(50))).rejects.toMatchObject({
      code: "LIMIT_EXCEEDED",
      details: { limit: "maxDatasetBytes" },
    });
    await expect(put("k", "v", "other")).rejects.toMatchObject({ code: "LIMIT_EXCEEDED", details: { limit: "maxDatasets" } });
    expect(await db.outbox.count()).toBe(2);
    expect(await db.records.count()).toBe(2);
    // Shrinking is always allowed.
    await put("a", null);
    await put("c", "3");
  });
});

describe("push batches", () => {
  it("are stored as in flight before sending and returned again until acknowledged", async () => {
    const { db, put, clock } = await setup();
    await put("a", "1");
    let ids = 0;
    const newId = () => `m${++ids}`;
    const batch = await takeBatch(db, "d", newId);
    expect(batch?.mutationId).toBe("m1");
    expect((await readDatasetMeta(db, "d"))?.inFlight?.mutationId).toBe("m1");
    await put("a", "2");
    // A retry (same process or after a restart) gets the same batch, not a new one.
    expect(await takeBatch(db, "d", newId)).toEqual(batch);
    const acked = serverRecord("a", "1", 1, batch?.patches[0]?.clock as string);
    await ackBatch(db, "d", batch!, [acked], clock);
    // The later write stays pending and visible.
    expect((await db.records.get(["d", "a"]))?.value).toBe("2");
    expect(await db.outbox.count()).toBe(1);
    expect((await takeBatch(db, "d", newId))?.mutationId).toBe("m2");
  });
});

describe("applying a pull", () => {
  it("keeps pending writes visible, merging by clock in CRDT datasets", async () => {
    const { db, put } = await setup();
    await put("mine", "local");
    await put("theirs-lose", "local");
    const applied = await applyPull(
      db,
      {
        dataset: "d",
        records: [
          serverRecord("mine", "remote-newer", 5, "999999999999999-000000-dev-b"),
          serverRecord("theirs-lose", "remote-older", 5, "000000000000001-000000-dev-b"),
          serverRecord("new", "remote", 5, "000000000000002-000000-dev-b"),
        ],
        datasetSyncCount: 5,
        conflictStrategy: "CRDT",
        dropSynced: false,
        datasetExists: true,
      },
      new HybridClock("dev-a"),
    );
    expect((await db.records.get(["d", "mine"]))?.value).toBe("remote-newer");
    expect((await db.records.get(["d", "theirs-lose"]))?.value).toBe("local");
    expect((await db.records.get(["d", "new"]))?.value).toBe("remote");
    expect(await db.outbox.count()).toBe(2);
    expect((await readDatasetMeta(db, "d"))?.pulledSyncCount).toBe(5);
    expect(applied.changed.map((r) => r.key).sort()).toEqual(["mine", "new"]);
  });

  it("stores a first pull whole into a dataset the device holds nothing of, beside another dataset's pending writes", async () => {
    const { db, put } = await setup();
    await put("a", "other-local", "other");
    const records = [serverRecord("a", "remote-a", 3, "000000000000001-000000-dev-b"), serverRecord("b", null, 3, "000000000000002-000000-dev-b")];
    const applied = await applyPull(
      db,
      { dataset: "d", records, datasetSyncCount: 3, conflictStrategy: "CRDT", dropSynced: false, datasetExists: true },
      new HybridClock("dev-a"),
    );
    expect(await db.records.where("dataset").equals("d").toArray()).toEqual(records.map((record) => ({ ...record, dataset: "d" })));
    expect((await db.records.get(["other", "a"]))?.value).toBe("other-local");
    expect(applied.changed.map((r) => r.key)).toEqual(["a", "b"]);
  });

  it("keeps the local value and its base in OPTIMISTIC datasets so the push is seen as stale", async () => {
    const { db, put } = await setup();
    await applyPull(
      db,
      { dataset: "d", records: [], datasetSyncCount: 0, conflictStrategy: "OPTIMISTIC", dropSynced: false, datasetExists: true },
      new HybridClock("dev-a"),
    );
    await put("a", "local");
    await applyPull(
      db,
      {
        dataset: "d",
        records: [serverRecord("a", "remote", 3, "999999999999999-000000-dev-b")],
        datasetSyncCount: 3,
        conflictStrategy: "OPTIMISTIC",
        dropSynced: false,
        datasetExists: true,
      },
      new HybridClock("dev-a"),
    );
    expect(await db.records.get(["d", "a"])).toMatchObject({ value: "local", syncCount: 0 });
  });

  it("drops synced records of a deleted dataset but keeps pending writes", async () => {
    const { db, put } = await setup();
    const clock = new HybridClock("dev-a");
    await applyPull(
      db,
      {
        dataset: "d",
        records: [serverRecord("old", "x", 2, "000000000000001-000000-dev-b")],
        datasetSyncCount: 2,
        conflictStrategy: "CRDT",
        dropSynced: false,
        datasetExists: true,
      },
      clock,
    );
    await put("pending", "keep me");
    await applyPull(
      db,
      { dataset: "d", records: [], datasetSyncCount: 3, conflictStrategy: "CRDT", dropSynced: true, datasetExists: false },
      clock,
    );
    expect(await db.records.get(["d", "old"])).toBeUndefined();
    expect(await db.records.get(["d", "pending"])).toMatchObject({ value: "keep me", syncCount: 0 });
    expect(await db.outbox.count()).toBe(1);
  });

  it("ignores a record older than the one held (a replayed push answer)", async () => {
    const { db } = await setup();
    const clock = new HybridClock("dev-a");
    const pull = (record: SyncRecord) =>
      applyPull(
        db,
        { dataset: "d", records: [record], datasetSyncCount: record.syncCount, conflictStrategy: "CRDT", dropSynced: false, datasetExists: true },
        clock,
      );
    await pull(serverRecord("a", "new", 9, "000000000000009-000000-dev-b"));
    await pull(serverRecord("a", "old", 4, "000000000000004-000000-dev-b"));
    expect((await db.records.get(["d", "a"]))?.value).toBe("new");
  });
});
