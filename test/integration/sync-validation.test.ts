import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

describe("malformed input is BAD_USER_INPUT naming the field, and changes nothing", () => {
  let server: InProcessServer;
  let api: SyncApi;

  beforeAll(async () => {
    server = await startInProcessServer();
    api = syncApi(server, (await server.signInGuest()).token);
    await api.push({ dataset: "v", patches: [{ op: "REPLACE", key: "existing", value: "1" }] });
  });
  afterAll(async () => server?.close());

  const cases: Array<[string, Parameters<SyncApi["push"]>[0], string]> = [
    ["a REPLACE without a value", { dataset: "v", patches: [{ op: "REPLACE", key: "k" }] }, "patches[0].value"],
    ["two patches for one key", { dataset: "v", patches: [{ op: "REPLACE", key: "k", value: "1" }, { op: "REMOVE", key: "k" }] }, "patches[1].key"],
    ["a clock that is not a hybrid logical clock", { dataset: "v", patches: [{ op: "REPLACE", key: "k", value: "1", clock: "yesterday" }] }, "patches[0].clock"],
    ["a clock without a device id", { dataset: "v", patches: [{ op: "REPLACE", key: "k", value: "1", clock: "000000000000001-000000-" }] }, "patches[0].clock"],
    ["a YDOC value that is not base64", { dataset: "v", patches: [{ op: "REPLACE", key: "k", value: "%%%", kind: "YDOC" }] }, "patches[0].value"],
    ["a negative base sync count", { dataset: "v", patches: [{ op: "REPLACE", key: "k", value: "1", syncCount: -1 }] }, "patches[0].syncCount"],
    ["a negative device time", { dataset: "v", patches: [{ op: "REPLACE", key: "k", value: "1", deviceLastModifiedAt: -5 }] }, "patches[0].deviceLastModifiedAt"],
  ];

  for (const [what, input, field] of cases) {
    it(`refuses ${what}`, async () => {
      await expect(api.push(input)).rejects.toMatchObject({ code: "BAD_USER_INPUT", extensions: { field } });
      expect((await api.pullAll("v")).datasetSyncCount).toBe(1);
    });
  }

  it("refuses a negative sinceSyncCount, a page size out of range and a forged cursor", async () => {
    await expect(api.page("v", -1)).rejects.toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "sinceSyncCount" } });
    await expect(api.page("v", 0, 0)).rejects.toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "first" } });
    await expect(api.page("v", 0, 1001)).rejects.toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "first" } });
    await expect(api.page("v", 0, 10, "not-a-cursor")).rejects.toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "after" } });
  });

  it("refuses values of the wrong GraphQL type with BAD_USER_INPUT", async () => {
    await expect(
      api.call(`mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }`, {
        input: { dataset: "v", deviceId: "d", mutationId: "m", patches: [{ op: "UPSERT", key: "k" }] },
      }),
    ).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    await expect(api.call(`{ records(dataset: "v", sinceSyncCount: "zero") { datasetSyncCount } }`)).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
    });
  });

  it("refuses every data operation without a valid token", async () => {
    for (const token of [undefined, "garbage", `${"x".repeat(20)}.${"y".repeat(20)}.${"z".repeat(20)}`]) {
      const anonymous = syncApi(server, token);
      await expect(anonymous.page("v")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
      await expect(anonymous.push({ dataset: "v", patches: [{ op: "REPLACE", key: "k", value: "1" }] })).rejects.toMatchObject({
        code: "UNAUTHENTICATED",
      });
      await expect(anonymous.datasets()).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
      await expect(anonymous.usage()).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
      await expect(anonymous.remove("v")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
      await expect(anonymous.configure("v", "CRDT")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    }
    expect((await api.pullAll("v")).datasetSyncCount).toBe(1);
  });
});
