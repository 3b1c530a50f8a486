/**
 * Shared datasets over GraphQL sync: two members of a group read and write one group-owned
 * dataset and converge; an identity outside the group can neither pull, push nor delete it, each
 * refused with FORBIDDEN; stream events name the writer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { groupOwnerId } from "../../server/identity/shared-access.js";
import { startInProcessServer, type GqlResponse, type InProcessServer } from "../helpers/server.js";

const ADMIN_TOKEN = "admin-token-for-shared-datasets-0123456789";
const PULL = `query ($dataset: String!, $since: Int) {
  records(dataset: $dataset, sinceSyncCount: $since, shared: true) { datasetSyncCount datasetExists records { key value } }
}`;
const PUSH = `mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }`;
const DELETE = `mutation ($name: String!) { deleteDataset(name: $name, shared: true) { deleted } }`;

const codeOf = (response: GqlResponse) => response.errors?.[0]?.extensions?.["code"];

describe("shared datasets over GraphQL sync", () => {
  let server: InProcessServer;
  let push: (token: string, dataset: string, key: string, value: string) => Promise<GqlResponse>;
  let mutation = 0;

  beforeAll(async () => {
    const pool = poolSettingsSchema.parse({
      id: "default",
      stream: { shards: 1 },
      sharedDatasets: [{ name: "family-*", owner: "group:family-42", read: ["group:family-42"], write: ["group:family-42"], maxRecords: 2 }],
    });
    server = await startInProcessServer({ config: { pools: [pool], adminToken: ADMIN_TOKEN } });
    push = (token, dataset, key, value) =>
      server.gql(
        PUSH,
        { input: { dataset, shared: true, deviceId: "device", mutationId: `m${++mutation}`, patches: [{ op: "REPLACE", key, value }] } },
        token,
      );
  });
  afterAll(async () => server?.close());

  async function member() {
    const guest = await server.signInGuest();
    const added = await server.gql(
      `mutation ($id: String!) { addGroupMember(identityPoolId: "default", group: "family-42", identityId: $id) }`,
      { id: guest.identityId },
      ADMIN_TOKEN,
    );
    expect(added.errors).toBeUndefined();
    return guest;
  }

  it("two members of the group converge on one dataset, pushing and pulling both ways", async () => {
    const [alice, bob] = [await member(), await member()];
    expect((await push(alice.token, "family-list", "milk", "2")).errors).toBeUndefined();
    expect((await push(bob.token, "family-list", "eggs", "12")).errors).toBeUndefined();
    for (const who of [alice, bob]) {
      const page = (await server.gql(PULL, { dataset: "family-list" }, who.token)).data.records;
      expect(page.datasetSyncCount).toBe(2);
      expect(page.records.map((record: { key: string; value: string }) => [record.key, record.value]).sort()).toEqual([
        ["eggs", "12"],
        ["milk", "2"],
      ]);
    }
    // An own dataset of the same name is a different dataset.
    const own = await server.gql(`query { records(dataset: "family-list") { datasetExists } }`, {}, alice.token);
    expect(own.data.records.datasetExists).toBe(false);
  });

  it("applies the entry's record limit to the shared dataset", async () => {
    const alice = await member();
    await push(alice.token, "family-limits", "a", "1");
    await push(alice.token, "family-limits", "b", "1");
    const over = await push(alice.token, "family-limits", "c", "1");
    expect(codeOf(over)).toBe("LIMIT_EXCEEDED");
  });

  it("stream events of a shared dataset carry the owner id and the writer", async () => {
    const alice = await member();
    await push(alice.token, "family-events", "k", "v");
    const events = await server.storage.stream.readStreamEvents("default", 0, 1, 10_000);
    const bodies = events.map((event) => JSON.parse(event.data)).filter((body) => body.dataSetName === "family-events");
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({ identityId: groupOwnerId("default", "family-42"), writer: alice.identityId });
  });

  it("refuses an identity outside the group: it can neither read, write nor delete", async () => {
    const alice = await member();
    const outsider = await server.signInGuest();
    await push(alice.token, "family-private", "secret", "s");
    const pulled = await server.gql(PULL, { dataset: "family-private" }, outsider.token);
    expect(codeOf(pulled)).toBe("FORBIDDEN");
    expect(pulled.errors?.[0]?.extensions?.["reason"]).toBe("SHARED_DENIED");
    expect(codeOf(await push(outsider.token, "family-private", "secret", "stolen"))).toBe("FORBIDDEN");
    expect(codeOf(await server.gql(DELETE, { name: "family-private" }, outsider.token))).toBe("FORBIDDEN");
    const page = (await server.gql(PULL, { dataset: "family-private" }, alice.token)).data.records;
    expect(page.records).toEqual([{ key: "secret", value: "s" }]);
  });

  it("refuses a name no shared entry matches", async () => {
    const alice = await member();
    expect(codeOf(await server.gql(PULL, { dataset: "not-shared" }, alice.token))).toBe("FORBIDDEN");
  });

  it("lets a member delete the shared dataset", async () => {
    const alice = await member();
    await push(alice.token, "family-gone", "k", "v");
    expect((await server.gql(DELETE, { name: "family-gone" }, alice.token)).data.deleteDataset.deleted).toBe(true);
    expect((await server.gql(PULL, { dataset: "family-gone" }, alice.token)).data.records.datasetExists).toBe(false);
  });
});
