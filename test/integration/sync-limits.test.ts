import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

const replace = (key: string, value = "v") => ({ op: "REPLACE" as const, key, value });

describe("limits, each at exactly the limit and one over", () => {
  let server: InProcessServer;

  beforeAll(async () => {
    server = await startInProcessServer();
  });
  afterAll(async () => server?.close());

  async function freshIdentity(): Promise<SyncApi> {
    return syncApi(server, (await server.signInGuest()).token);
  }

  it("allows 20 datasets per identity and refuses the 21st until one is deleted", async () => {
    const api = await freshIdentity();
    for (let i = 0; i < 20; i += 1) await api.push({ dataset: `set-${i}`, patches: [replace("k")] });
    await expect(api.push({ dataset: "set-20", patches: [replace("k")] })).rejects.toMatchObject({
      code: "LIMIT_EXCEEDED",
      extensions: { limit: "maxDatasets", max: 20 },
    });
    await expect(api.configure("set-20", "OPTIMISTIC")).rejects.toMatchObject({ code: "LIMIT_EXCEEDED" });
    expect((await api.usage()).datasetCount).toBe(20);
    await api.push({ dataset: "set-0", patches: [replace("k", "still writable")] });
    await api.remove("set-0");
    await api.push({ dataset: "set-20", patches: [replace("k")] });
    expect((await api.usage()).datasetCount).toBe(20);
  });

  it("allows 1024 records in a dataset and refuses the 1025th, committing nothing", async () => {
    const api = await freshIdentity();
    const keys = Array.from({ length: 1024 }, (_, i) => `r${i}`);
    await api.push({ dataset: "records", patches: keys.map((key) => replace(key)) });
    expect(await api.dataset("records")).toMatchObject({ recordCount: 1024, syncCount: 1 });
    await expect(api.push({ dataset: "records", patches: [replace("r0", "changed"), replace("one-more")] })).rejects.toMatchObject({
      code: "LIMIT_EXCEEDED",
      extensions: { limit: "maxRecords", max: 1024 },
    });
    expect(await api.dataset("records")).toMatchObject({ recordCount: 1024, syncCount: 1 });
    // Replacing one record by another keeps the count at the limit.
    await api.push({ dataset: "records", patches: [{ op: "REMOVE", key: "r0" }, replace("one-more")] });
    expect(await api.dataset("records")).toMatchObject({ recordCount: 1024, syncCount: 2 });
  });

  it("allows 1024 patches in one push and refuses 1025", async () => {
    const api = await freshIdentity();
    const patches = Array.from({ length: 1025 }, (_, i) => replace(`p${i}`));
    await expect(api.push({ dataset: "patches", patches })).rejects.toMatchObject({
      code: "LIMIT_EXCEEDED",
      extensions: { limit: "maxPatchesPerPush", max: 1024 },
    });
    expect(await api.dataset("patches")).toBeNull();
    expect((await api.push({ dataset: "patches", patches: patches.slice(0, 1024) })).records).toHaveLength(1024);
  });

  it("allows exactly 1 MiB of UTF-8 in a dataset and refuses one byte more", async () => {
    const api = await freshIdentity();
    // 4 records of 262,144 bytes each: key "kN" (2 bytes) + value.
    const value = (bytes: number) => "x".repeat(bytes);
    const patches = [0, 1, 2, 3].map((i) => replace(`k${i}`, value(262_144 - 2)));
    await api.push({ dataset: "bytes", patches });
    expect(await api.dataset("bytes")).toMatchObject({ sizeBytes: 1_048_576 });
    await expect(api.push({ dataset: "bytes", patches: [replace("k0", value(262_144 - 2 + 1))] })).rejects.toMatchObject({
      code: "LIMIT_EXCEEDED",
      extensions: { limit: "maxDatasetBytes", max: 1_048_576 },
    });
    // Multi-byte characters count by their UTF-8 length: "é" is two bytes.
    await expect(api.push({ dataset: "bytes", patches: [replace("k0", `${value(262_144 - 2 - 1)}é`)] })).rejects.toMatchObject({
      code: "LIMIT_EXCEEDED",
    });
    await api.push({ dataset: "bytes", patches: [replace("k0", `${value(262_144 - 2 - 2)}é`)] });
    expect(await api.dataset("bytes")).toMatchObject({ sizeBytes: 1_048_576, syncCount: 2 });
  });

  it("allows a 1024-character key and refuses 1025 or an empty one", async () => {
    const api = await freshIdentity();
    await api.push({ dataset: "keys", patches: [replace("k".repeat(1024))] });
    await expect(api.push({ dataset: "keys", patches: [replace("k".repeat(1025))] })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      extensions: { field: "patches[0].key" },
    });
    await expect(api.push({ dataset: "keys", patches: [replace("ok"), replace("")] })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      extensions: { field: "patches[1].key" },
    });
  });

  it("allows a 128-character dataset name of the allowed characters and refuses anything else", async () => {
    const api = await freshIdentity();
    const name = `${"a".repeat(124)}_.:-`;
    await api.push({ dataset: name, patches: [replace("k")] });
    for (const bad of ["a".repeat(129), "", "has space", "slash/name", "ümlaut"]) {
      await expect(api.push({ dataset: bad, patches: [replace("k")] })).rejects.toMatchObject({
        code: "BAD_USER_INPUT",
        extensions: { field: "dataset" },
      });
      await expect(api.page(bad)).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    }
  });

  it("allows a 256-character device id and a 128-character mutation id, and refuses one more", async () => {
    const api = await freshIdentity();
    await api.push({ dataset: "ids", deviceId: "d".repeat(256), mutationId: "m".repeat(128), patches: [replace("k")] });
    await expect(api.push({ dataset: "ids", deviceId: "d".repeat(257), patches: [replace("k")] })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      extensions: { field: "deviceId" },
    });
    await expect(api.push({ dataset: "ids", mutationId: "m".repeat(129), patches: [replace("k")] })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      extensions: { field: "mutationId" },
    });
    await expect(api.push({ dataset: "ids", deviceId: "", patches: [replace("k")] })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      extensions: { field: "deviceId" },
    });
    expect(await api.dataset("ids")).toMatchObject({ syncCount: 1 });
  });
});
