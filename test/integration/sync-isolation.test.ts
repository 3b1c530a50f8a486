import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

describe("one identity can neither read nor write another's data", () => {
  let server: InProcessServer;
  let alice: SyncApi;
  let mallory: SyncApi;

  beforeAll(async () => {
    // The last test reads the schema through introspection, which only `--dev` serves.
    server = await startInProcessServer({ config: { dev: true } });
    alice = syncApi(server, (await server.signInGuest()).token);
    mallory = syncApi(server, (await server.signInGuest()).token);
    await alice.push({ dataset: "secrets", deviceId: "alice-phone", mutationId: "m-1", patches: [{ op: "REPLACE", key: "pin", value: "1234" }] });
    await alice.push({ dataset: "secrets", deviceId: "alice-phone", mutationId: "m-2", patches: [{ op: "REPLACE", key: "pin2", value: "5678" }] });
  });
  afterAll(async () => server?.close());

  it("sees none of another identity's datasets, records or usage", async () => {
    expect(await mallory.datasets()).toEqual([]);
    expect(await mallory.dataset("secrets")).toBeNull();
    expect(await mallory.page("secrets")).toMatchObject({ datasetExists: false, records: [] });
    expect(await mallory.usage()).toMatchObject({ datasetCount: 0, sizeBytes: 0 });
  });

  it("reads nothing of another identity through a cursor taken from its pages", async () => {
    const alicePage = await alice.page("secrets", 0, 1);
    expect(alicePage.nextCursor).not.toBeNull();
    const stolen = await mallory.page("secrets", 0, 1, alicePage.nextCursor!);
    expect(stolen.records).toEqual([]);
  });

  it("gets no replay of another identity's push by reusing its device and mutation ids", async () => {
    const result = await mallory.push({ dataset: "secrets", deviceId: "alice-phone", mutationId: "m-1", patches: [{ op: "REPLACE", key: "pin", value: "0000" }] });
    expect(result).toMatchObject({ replayed: false, datasetSyncCount: 1, records: [{ key: "pin", value: "0000" }] });
    const aliceView = await alice.pullAll("secrets");
    expect(aliceView.records.map((r) => [r.key, r.value])).toEqual([["pin", "1234"], ["pin2", "5678"]]);
    expect(aliceView.datasetSyncCount).toBe(2);
  });

  it("cannot use another identity's sync session token", async () => {
    const token = (await alice.page("secrets")).syncSessionToken;
    await expect(
      mallory.push({ dataset: "secrets", syncSessionToken: token, patches: [{ op: "REPLACE", key: "x", value: "1" }] }),
    ).rejects.toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "syncSessionToken" } });
  });

  it("deletes and configures only its own datasets", async () => {
    await mallory.remove("secrets");
    await mallory.configure("secrets", "OPTIMISTIC");
    expect(await alice.dataset("secrets")).toMatchObject({ recordCount: 2, syncCount: 2 });
    expect((await alice.page("secrets")).conflictStrategy).toBe("CRDT");
  });

  it("offers no argument anywhere in the data API that names an identity", async () => {
    const { __schema } = await alice.call<{
      __schema: { types: Array<{ name: string; fields: Array<{ name: string; args: Array<{ name: string }> }> | null; inputFields: Array<{ name: string }> | null }> };
    }>(`{ __schema { types { name fields { name args { name } } inputFields { name } } } }`);
    const naming: string[] = [];
    for (const type of __schema.types) {
      if (type.name.startsWith("__")) continue;
      for (const field of type.fields ?? []) {
        for (const arg of field.args) if (/identity/i.test(arg.name)) naming.push(`${type.name}.${field.name}(${arg.name})`);
      }
      for (const input of type.inputFields ?? []) if (/identityId/i.test(input.name)) naming.push(`${type.name}.${input.name}`);
    }
    // Only sign-in names an identity (a returning guest proves it with its device secret), and
    // pool administration names pools (`identityPoolId` is a pool). Outside the data API: the
    // developer backend's call (it holds the developer key) and the admin API (the admin token).
    const outsideDataApi = [
      "Mutation.getTokenForDeveloperIdentity(identityId)",
      "Mutation.disableIdentity(identityId)",
      "Query.identity(identityId)",
      "Query.identityDatasets(identityId)",
      "Query.identityRecords(identityId)",
      "Mutation.deleteIdentityDataset(identityId)",
      "Mutation.addGroupMember(identityId)",
      "Mutation.removeGroupMember(identityId)",
    ];
    const namesPool = (where: string) => where.includes("IdentityPool") || where.endsWith("(identityPoolId)");
    expect(naming.filter((where) => !where.startsWith("SignInInput.") && !namesPool(where) && !outsideDataApi.includes(where))).toEqual([]);
  });
});
