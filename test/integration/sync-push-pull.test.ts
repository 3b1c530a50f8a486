import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

function clockAt(wallMs: number, counter: number, deviceId: string): string {
  return `${String(wallMs).padStart(15, "0")}-${String(counter).padStart(6, "0")}-${deviceId}`;
}

function toBase64(update: Uint8Array): string {
  return Buffer.from(update).toString("base64");
}

describe("pushing and pulling records", () => {
  let server: InProcessServer;
  let api: SyncApi;

  beforeAll(async () => {
    server = await startInProcessServer();
    api = syncApi(server, (await server.signInGuest()).token);
  });
  afterAll(async () => server?.close());

  it("creates the dataset on the first push at sync count 1 and stamps its records with it", async () => {
    const result = await api.push({ dataset: "first", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    expect(result.datasetSyncCount).toBe(1);
    expect(result.replayed).toBe(false);
    expect(result.records).toMatchObject([{ key: "a", value: "1", kind: "STRING", syncCount: 1, deleted: false, lastModifiedBy: "device-a" }]);
    expect(await api.dataset("first")).toMatchObject({ name: "first", syncCount: 1, recordCount: 1 });
  });

  it("bumps the sync count by exactly one per push, whichever device pushes and however many patches", async () => {
    const counts: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const patches = Array.from({ length: i + 1 }, (_, j) => ({ op: "REPLACE" as const, key: `k${j}`, value: `v${i}` }));
      counts.push((await api.push({ dataset: "counts", deviceId: `device-${i % 3}`, patches })).datasetSyncCount);
    }
    expect(counts).toEqual([1, 2, 3, 4, 5, 6]);
    const page = await api.pullAll("counts");
    expect(page.datasetSyncCount).toBe(6);
    // k0..k5 were all written by the last push; it stamped each with count 6.
    expect(page.records.map((r) => [r.key, r.syncCount, r.value])).toEqual(
      [0, 1, 2, 3, 4, 5].map((j) => [`k${j}`, 6, "v5"]),
    );
  });

  it("returns only records changed after sinceSyncCount in a delta pull, tombstones included", async () => {
    await api.push({ dataset: "delta", patches: [{ op: "REPLACE", key: "x", value: "1" }, { op: "REPLACE", key: "y", value: "1" }] });
    await api.push({ dataset: "delta", patches: [{ op: "REPLACE", key: "z", value: "2" }] });
    await api.push({ dataset: "delta", patches: [{ op: "REMOVE", key: "x" }] });
    const delta = await api.pullAll("delta", 1);
    expect(delta.records.map((r) => ({ key: r.key, syncCount: r.syncCount, deleted: r.deleted, value: r.value }))).toEqual([
      { key: "z", syncCount: 2, deleted: false, value: "2" },
      { key: "x", syncCount: 3, deleted: true, value: null },
    ]);
    expect((await api.pullAll("delta", 3)).records).toEqual([]);
    expect(await api.dataset("delta")).toMatchObject({ recordCount: 2 });
  });

  it("commits the neighbours of a push refused under the dataset lock, which changes nothing", async () => {
    const full = syncApi(server, (await server.signInGuest()).token);
    const other = syncApi(server, (await server.signInGuest()).token);
    // The identity holds the most datasets it may: a push creating one more is refused under the lock.
    for (let i = 0; i < 20; i += 1) await full.push({ dataset: `owned-${i}`, patches: [{ op: "REPLACE", key: "k", value: "0" }] });
    const pushes = [
      full.push({ dataset: "owned-0", mutationId: "n-0", patches: [{ op: "REPLACE", key: "k", value: "1" }] }),
      full.push({ dataset: "one-too-many", mutationId: "n-1", patches: [{ op: "REPLACE", key: "k", value: "1" }] }),
      other.push({ dataset: "neighbour", mutationId: "n-2", patches: [{ op: "REPLACE", key: "k", value: "1" }] }),
      full.push({ dataset: "owned-1", mutationId: "n-3", patches: [{ op: "REPLACE", key: "k", value: "1" }] }),
    ];
    const [before, refused, neighbour, after] = await Promise.allSettled(pushes);
    expect(refused).toMatchObject({ status: "rejected", reason: { code: "LIMIT_EXCEEDED" } });
    for (const answer of [before, neighbour, after]) expect(answer).toMatchObject({ status: "fulfilled", value: { datasetSyncCount: expect.any(Number) } });
    expect(await full.dataset("one-too-many")).toBeNull();
    expect((await full.pullAll("owned-0")).records).toMatchObject([{ key: "k", value: "1", syncCount: 2 }]);
    expect((await full.pullAll("owned-1")).records).toMatchObject([{ key: "k", value: "1", syncCount: 2 }]);
    expect((await other.pullAll("neighbour")).records).toMatchObject([{ key: "k", value: "1", syncCount: 1 }]);
  });

  it("pages by cursor across records of one sync count and delivers each record exactly once", async () => {
    const keys = Array.from({ length: 23 }, (_, i) => `key-${String(i).padStart(2, "0")}`);
    await api.push({ dataset: "paged", patches: keys.map((key) => ({ op: "REPLACE" as const, key, value: key })) });
    await api.push({ dataset: "paged", patches: [{ op: "REPLACE", key: "late", value: "x" }] });
    const all = await api.pullAll("paged", 0, 5);
    expect(all.pages).toBe(5);
    expect(all.records.map((r) => r.key)).toEqual([...keys, "late"]);
    expect(all.nextCursor).toBeNull();
  });

  it("delivers a record changed while a device is paging", async () => {
    await api.push({ dataset: "moving", patches: ["a", "b", "c", "d"].map((key) => ({ op: "REPLACE" as const, key, value: "1" })) });
    const first = await api.page("moving", 0, 2);
    expect(first.records.map((r) => r.key)).toEqual(["a", "b"]);
    await api.push({ dataset: "moving", patches: [{ op: "REPLACE", key: "a", value: "2" }] });
    let page = first;
    const rest = [];
    while (page.nextCursor) {
      page = await api.page("moving", 0, 2, page.nextCursor);
      rest.push(...page.records);
    }
    expect(rest.map((r) => [r.key, r.value])).toEqual([["c", "1"], ["d", "1"], ["a", "2"]]);
    expect(page.datasetSyncCount).toBe(2);
  });

  it("answers a retried push with the first result and changes nothing", async () => {
    const input = { dataset: "replay", deviceId: "phone", mutationId: "batch-1", patches: [{ op: "REPLACE" as const, key: "a", value: "1" }] };
    const first = await api.push(input);
    const again = await api.push({ ...input, patches: [{ op: "REPLACE", key: "a", value: "something else" }] });
    expect(again).toEqual({ ...first, replayed: true });
    const page = await api.pullAll("replay");
    expect(page.datasetSyncCount).toBe(1);
    expect(page.records.map((r) => r.value)).toEqual(["1"]);
  });

  it("treats the same mutation id from another device as a different push", async () => {
    await api.push({ dataset: "replay2", deviceId: "one", mutationId: "same", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    const other = await api.push({ dataset: "replay2", deviceId: "two", mutationId: "same", patches: [{ op: "REPLACE", key: "a", value: "2" }] });
    expect(other.replayed).toBe(false);
    expect(other.datasetSyncCount).toBe(2);
  });

  it("answers datasetExists false and no error for a dataset that does not exist", async () => {
    const page = await api.page("never-written");
    expect(page).toMatchObject({ datasetExists: false, datasetSyncCount: 0, records: [], deletedAfterSince: false, nextCursor: null });
    expect(await api.dataset("never-written")).toBeNull();
  });

  it("keeps the write with the greatest clock and shows the winner to a losing patch", async () => {
    const now = Date.now();
    await api.push({ dataset: "lww", deviceId: "b", patches: [{ op: "REPLACE", key: "k", value: "newer", clock: clockAt(now, 0, "b") }] });
    const losing = await api.push({ dataset: "lww", deviceId: "a", patches: [{ op: "REPLACE", key: "k", value: "older", clock: clockAt(now - 1000, 5, "a") }] });
    expect(losing.records).toMatchObject([{ key: "k", value: "newer", lastModifiedBy: "b", syncCount: 1 }]);
    expect(losing.datasetSyncCount).toBe(2);
    // Equal wall time and counter: the device id breaks the tie, the same way on every replica.
    const tie = await api.push({ dataset: "lww", deviceId: "c", patches: [{ op: "REPLACE", key: "k", value: "tie", clock: clockAt(now, 0, "c") }] });
    expect(tie.records[0]).toMatchObject({ value: "tie", lastModifiedBy: "c", syncCount: 3 });
  });

  it("lets a newer remove win and an older put stay dead", async () => {
    const now = Date.now();
    await api.push({ dataset: "tomb", patches: [{ op: "REPLACE", key: "k", value: "1", clock: clockAt(now, 0, "a") }] });
    await api.push({ dataset: "tomb", patches: [{ op: "REMOVE", key: "k", clock: clockAt(now, 1, "a") }] });
    const stale = await api.push({ dataset: "tomb", patches: [{ op: "REPLACE", key: "k", value: "zombie", clock: clockAt(now, 0, "z") }] });
    expect(stale.records[0]).toMatchObject({ key: "k", deleted: true, value: null });
  });

  it("stamps a patch without a clock after the stored record's clock", async () => {
    const ahead = Date.now() + 60_000;
    await api.push({ dataset: "stamp", deviceId: "fast", patches: [{ op: "REPLACE", key: "k", value: "from the future", clock: clockAt(ahead, 3, "fast") }] });
    const stamped = await api.push({ dataset: "stamp", deviceId: "plain", patches: [{ op: "REPLACE", key: "k", value: "clockless" }] });
    expect(stamped.records[0]).toMatchObject({ value: "clockless", lastModifiedBy: "plain" });
    expect(stamped.records[0]!.clock > clockAt(ahead, 3, "fast")).toBe(true);
  });

  it("refuses a clock more than five minutes ahead with CLOCK_SKEW and commits nothing", async () => {
    const ok = Date.now() + 4 * 60_000;
    await api.push({ dataset: "skew", patches: [{ op: "REPLACE", key: "near", value: "1", clock: clockAt(ok, 0, "a") }] });
    const failure = await api
      .push({ dataset: "skew", patches: [{ op: "REPLACE", key: "far", value: "1", clock: clockAt(Date.now() + 6 * 60_000, 0, "a") }] })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "CLOCK_SKEW", extensions: { field: "patches[0].clock" } });
    expect(typeof (failure as { extensions: { serverTime: unknown } }).extensions.serverTime).toBe("number");
    expect((await api.pullAll("skew")).records.map((r) => r.key)).toEqual(["near"]);
  });

  it("merges YDOC updates from two devices so both edits survive", async () => {
    const base = new Y.Doc();
    base.getText("body").insert(0, "middle");
    const baseUpdate = Y.encodeStateAsUpdate(base);
    await api.push({ dataset: "docs", deviceId: "a", patches: [{ op: "REPLACE", key: "note", kind: "YDOC", value: toBase64(baseUpdate) }] });

    const deviceA = new Y.Doc();
    const deviceB = new Y.Doc();
    Y.applyUpdate(deviceA, baseUpdate);
    Y.applyUpdate(deviceB, baseUpdate);
    const svA = Y.encodeStateVector(deviceA);
    const svB = Y.encodeStateVector(deviceB);
    deviceA.getText("body").insert(0, "start ");
    deviceB.getText("body").insert(deviceB.getText("body").length, " end");
    await api.push({ dataset: "docs", deviceId: "a", patches: [{ op: "REPLACE", key: "note", kind: "YDOC", value: toBase64(Y.encodeStateAsUpdate(deviceA, svA)) }] });
    const result = await api.push({ dataset: "docs", deviceId: "b", patches: [{ op: "REPLACE", key: "note", kind: "YDOC", value: toBase64(Y.encodeStateAsUpdate(deviceB, svB)) }] });

    const [record] = (await api.pullAll("docs")).records;
    expect(record).toMatchObject({ kind: "YDOC", syncCount: 3 });
    expect(result.records[0]!.value).toBe(record!.value);
    const merged = new Y.Doc();
    Y.applyUpdate(merged, Buffer.from(record!.value!, "base64"));
    expect(merged.getText("body").toString()).toBe("start middle end");
  });

  it("gives concurrent pushes from many devices contiguous sync counts, none skipped or reused", async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        api.push({ dataset: "storm", deviceId: `device-${i % 8}`, patches: [{ op: "REPLACE", key: `k${i % 5}`, value: `${i}` }] }),
      ),
    );
    expect(results.map((r) => r.datasetSyncCount).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const page = await api.pullAll("storm");
    expect(page.datasetSyncCount).toBe(40);
    expect(page.records).toHaveLength(5);
  });

  it("commits all patches of a push or none of them", async () => {
    await api.push({ dataset: "atomic", patches: [{ op: "REPLACE", key: "a", value: "before" }] });
    const failure = await api
      .push({
        dataset: "atomic",
        patches: [
          { op: "REPLACE", key: "a", value: "after" },
          { op: "REPLACE", key: "b", value: "new" },
          { op: "REPLACE", key: "doc", kind: "YDOC", value: "bm90IGEgeWpzIHVwZGF0ZQ==" },
        ],
      })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "patches[2].value" } });
    const page = await api.pullAll("atomic");
    expect(page.datasetSyncCount).toBe(1);
    expect(page.records.map((r) => [r.key, r.value])).toEqual([["a", "before"]]);
  });
});
