import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

describe("datasets", () => {
  let server: InProcessServer;
  let api: SyncApi;

  beforeAll(async () => {
    server = await startInProcessServer();
  });
  afterAll(async () => server?.close());

  async function freshIdentity(): Promise<SyncApi> {
    return syncApi(server, (await server.signInGuest()).token);
  }

  it("lists live datasets with their counts and sizes, and reports usage", async () => {
    api = await freshIdentity();
    await api.push({ dataset: "b-set", deviceId: "d1", patches: [{ op: "REPLACE", key: "k", value: "héllo" }] });
    await api.push({ dataset: "a-set", patches: [{ op: "REPLACE", key: "x", value: "1" }, { op: "REPLACE", key: "y", value: "22" }] });
    expect(await api.datasets()).toEqual([
      { name: "a-set", syncCount: 1, recordCount: 2, sizeBytes: 1 + 1 + 1 + 2, conflictStrategy: "CRDT", lastModifiedBy: "device-a" },
      { name: "b-set", syncCount: 1, recordCount: 1, sizeBytes: 1 + 6, conflictStrategy: "CRDT", lastModifiedBy: "d1" },
    ]);
    expect(await api.usage()).toMatchObject({
      datasetCount: 2,
      sizeBytes: 12,
      limits: { maxDatasets: 20, maxRecords: 1024, maxDatasetBytes: 1_048_576, maxClockSkewMs: 300_000 },
    });
  });

  it("counts a tombstone's key, not its value, toward the dataset size", async () => {
    api = await freshIdentity();
    await api.push({ dataset: "size", patches: [{ op: "REPLACE", key: "abc", value: "0123456789" }] });
    expect(await api.dataset("size")).toMatchObject({ recordCount: 1, sizeBytes: 13 });
    await api.push({ dataset: "size", patches: [{ op: "REMOVE", key: "abc" }] });
    expect(await api.dataset("size")).toMatchObject({ recordCount: 0, sizeBytes: 3 });
  });

  it("rejects a stale patch in an OPTIMISTIC dataset with the server's record and commits nothing", async () => {
    api = await freshIdentity();
    expect(await api.configure("opt", "OPTIMISTIC")).toMatchObject({ name: "opt", conflictStrategy: "OPTIMISTIC", syncCount: 0 });
    const created = await api.push({ dataset: "opt", patches: [{ op: "REPLACE", key: "k", value: "v1", syncCount: 0 }] });
    expect(created.records[0]).toMatchObject({ value: "v1", syncCount: 1 });
    await api.push({ dataset: "opt", deviceId: "other", patches: [{ op: "REPLACE", key: "k", value: "v2", syncCount: 1 }] });

    const stale = await api.push({
      dataset: "opt",
      patches: [
        { op: "REPLACE", key: "k", value: "mine", syncCount: 1 },
        { op: "REPLACE", key: "fresh", value: "new key", syncCount: 0 },
      ],
    });
    expect(stale.conflicts).toMatchObject([{ key: "k", patchSyncCount: 1, serverRecord: { key: "k", value: "v2", syncCount: 2 } }]);
    expect(stale.records).toEqual([]);
    expect(stale.datasetSyncCount).toBe(2);
    expect((await api.pullAll("opt")).records.map((r) => r.key)).toEqual(["k"]);

    const resolved = await api.push({ dataset: "opt", patches: [{ op: "REPLACE", key: "k", value: "mine", syncCount: 2 }] });
    expect(resolved).toMatchObject({ conflicts: [], datasetSyncCount: 3, records: [{ key: "k", value: "mine", syncCount: 3 }] });
    expect((await api.page("opt")).conflictStrategy).toBe("OPTIMISTIC");
  });

  it("ignores clocks in an OPTIMISTIC dataset once the sync count matched", async () => {
    api = await freshIdentity();
    await api.configure("opt-clock", "OPTIMISTIC");
    const future = `${String(Date.now() + 60_000).padStart(15, "0")}-000000-a`;
    await api.push({ dataset: "opt-clock", patches: [{ op: "REPLACE", key: "k", value: "a", clock: future, syncCount: 0 }] });
    const old = `${String(Date.now() - 60_000).padStart(15, "0")}-000000-b`;
    const next = await api.push({ dataset: "opt-clock", patches: [{ op: "REPLACE", key: "k", value: "b", clock: old, syncCount: 1 }] });
    expect(next.records[0]).toMatchObject({ value: "b", syncCount: 2 });
    expect(next.records[0]!.clock > future).toBe(true);
  });

  it("deletes a dataset so that older pulls see deletedAfterSince and counts continue when it is written again", async () => {
    api = await freshIdentity();
    await api.push({ dataset: "gone", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    await api.push({ dataset: "gone", patches: [{ op: "REPLACE", key: "b", value: "2" }] });
    expect(await api.remove("gone")).toEqual({ name: "gone", deleted: true, syncCount: 3 });
    expect(await api.dataset("gone")).toBeNull();
    expect((await api.datasets()).map((d) => d.name)).not.toContain("gone");

    const afterDelete = await api.page("gone", 2);
    expect(afterDelete).toMatchObject({ deletedAfterSince: true, datasetExists: false, records: [], datasetSyncCount: 3 });
    expect(await api.page("gone", 0)).toMatchObject({ deletedAfterSince: false, datasetExists: false });

    const again = await api.push({ dataset: "gone", patches: [{ op: "REPLACE", key: "c", value: "3" }] });
    expect(again.datasetSyncCount).toBe(4);
    expect(await api.page("gone", 2)).toMatchObject({ deletedAfterSince: true, datasetExists: true });
    expect(await api.page("gone", 3)).toMatchObject({ deletedAfterSince: false, records: [{ key: "c", syncCount: 4 }] });
    expect(await api.remove("never-there")).toEqual({ name: "never-there", deleted: false, syncCount: 0 });
  });

  it("tells a device whose count is ahead of the server to start over", async () => {
    api = await freshIdentity();
    await api.push({ dataset: "restored", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    expect(await api.page("restored", 5)).toMatchObject({ deletedAfterSince: true, datasetSyncCount: 1 });
  });

  it("accepts the sync session token of a pull and refuses one of another dataset or a forged one", async () => {
    api = await freshIdentity();
    const page = await api.page("session");
    await api.push({ dataset: "session", syncSessionToken: page.syncSessionToken, patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    await expect(
      api.push({ dataset: "elsewhere", syncSessionToken: page.syncSessionToken, patches: [{ op: "REPLACE", key: "a", value: "1" }] }),
    ).rejects.toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "syncSessionToken" } });
    await expect(
      api.push({ dataset: "session", syncSessionToken: "s1.forged.token", patches: [{ op: "REPLACE", key: "a", value: "1" }] }),
    ).rejects.toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "syncSessionToken" } });
    expect((await api.page("elsewhere")).datasetExists).toBe(false);
  });
});
