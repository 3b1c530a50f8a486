/**
 * The admin API's view into an identity's data (`schema/admin-type-defs.ts`), which the console
 * uses: find an identity by id or login, its datasets with usage against the limits, its records,
 * deleting a dataset for it, and a pool's settings with every secret masked. Admin token only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { SECRET_MASK } from "../../server/identity/mask-secrets.js";
import { startInProcessServer, type GqlResponse, type InProcessServer } from "../helpers/server.js";
import { syncApi } from "../helpers/sync-api.js";

const ADMIN_TOKEN = "admin-token-for-admin-data-0123456789";
const DEVELOPER_KEY = "developer-key-for-admin-data-0123456789abcdef";
const DATASETS = `query ($id: String!) { identityDatasets(identityId: $id) { usage { datasetCount sizeBytes limits { maxDatasets maxRecords maxDatasetBytes } } datasets { name recordCount sizeBytes syncCount } } }`;
const RECORDS = `query ($id: String!, $dataset: String!) { identityRecords(identityId: $id, dataset: $dataset) { datasetExists datasetSyncCount records { key value kind deleted } } }`;
const DELETE = `mutation ($id: String!, $dataset: String!) { deleteIdentityDataset(identityId: $id, dataset: $dataset) { name deleted syncCount } }`;

const codeOf = (response: GqlResponse) => response.errors?.[0]?.extensions?.["code"];

describe("admin view of an identity's data", () => {
  let server: InProcessServer;
  const admin = (query: string, variables: Record<string, unknown> = {}) => server.gql(query, variables, ADMIN_TOKEN);

  beforeAll(async () => {
    const pools = [poolSettingsSchema.parse({ id: "default", developerProvider: { name: "backend", key: DEVELOPER_KEY }, limits: { maxDatasets: 5 } })];
    server = await startInProcessServer({ config: { pools, adminToken: ADMIN_TOKEN } });
  });
  afterAll(async () => server?.close());

  it("lists an identity's datasets with its usage against the pool's limits, and reads its records", async () => {
    const guest = await server.signInGuest();
    await syncApi(server, guest.token).push({ dataset: "notes", patches: [{ op: "REPLACE", key: "title", value: "hello" }] });
    const { data } = await admin(DATASETS, { id: guest.identityId });
    expect(data.identityDatasets.usage).toMatchObject({ datasetCount: 1, sizeBytes: "title".length + "hello".length, limits: { maxDatasets: 5 } });
    expect(data.identityDatasets.datasets).toEqual([{ name: "notes", recordCount: 1, sizeBytes: 10, syncCount: 1 }]);
    const records = (await admin(RECORDS, { id: guest.identityId, dataset: "notes" })).data.identityRecords;
    expect(records).toMatchObject({ datasetExists: true, datasetSyncCount: 1, records: [{ key: "title", value: "hello", kind: "STRING", deleted: false }] });
  });

  it("deletes a dataset for the identity, which its owner then sees as gone", async () => {
    const guest = await server.signInGuest();
    const api = syncApi(server, guest.token);
    await api.push({ dataset: "doomed", patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    expect((await admin(DELETE, { id: guest.identityId, dataset: "doomed" })).data.deleteIdentityDataset).toEqual({ name: "doomed", deleted: true, syncCount: 2 });
    expect((await server.gql(`{ datasets { name } }`, {}, guest.token)).data.datasets).toEqual([]);
  });

  it("finds an identity by id and by login, and answers null for an unknown one", async () => {
    const developer = await server.gql(`mutation { getTokenForDeveloperIdentity(identityPoolId: "default", developerUserId: "user-7") { identityId } }`, {}, DEVELOPER_KEY);
    const identityId = developer.data.getTokenForDeveloperIdentity.identityId as string;
    const byLogin = await admin(`query { identityByLogin(identityPoolId: "default", provider: "backend", subject: "user-7") { identityId logins { subject } } }`);
    expect(byLogin.data.identityByLogin).toEqual({ identityId, logins: [{ subject: "user-7" }] });
    expect((await admin(`query ($id: String!) { identity(identityId: $id) { identityId disabledAt } }`, { id: identityId })).data.identity).toEqual({ identityId, disabledAt: null });
    expect((await admin(`query { identity(identityId: "local:00000000-0000-4000-8000-000000000000") { identityId } }`)).data.identity).toBeNull();
    expect(codeOf(await admin(DATASETS, { id: "local:00000000-0000-4000-8000-000000000000" }))).toBe("NOT_FOUND");
  });

  it("shows a pool's settings with the developer key masked", async () => {
    const { data } = await admin(`query { identityPoolSettings(identityPoolId: "default") }`);
    expect(data.identityPoolSettings).toMatchObject({ id: "default", developerProvider: { name: "backend", key: SECRET_MASK }, limits: { maxDatasets: 5 } });
    expect(JSON.stringify(data)).not.toContain(DEVELOPER_KEY);
  });

  it("refuses every admin data call with an identity token or none, and changes nothing", async () => {
    const guest = await server.signInGuest();
    await syncApi(server, guest.token).push({ dataset: "mine", patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    for (const token of [guest.token, undefined]) {
      expect(codeOf(await server.gql(DATASETS, { id: guest.identityId }, token))).toMatch(/^(FORBIDDEN|UNAUTHENTICATED)$/);
      expect(codeOf(await server.gql(RECORDS, { id: guest.identityId, dataset: "mine" }, token))).toMatch(/^(FORBIDDEN|UNAUTHENTICATED)$/);
      expect(codeOf(await server.gql(DELETE, { id: guest.identityId, dataset: "mine" }, token))).toMatch(/^(FORBIDDEN|UNAUTHENTICATED)$/);
      expect(codeOf(await server.gql(`query { identityPoolSettings(identityPoolId: "default") }`, {}, token))).toMatch(/^(FORBIDDEN|UNAUTHENTICATED)$/);
    }
    expect((await server.gql(`{ datasets { name } }`, {}, guest.token)).data.datasets).toEqual([{ name: "mine" }]);
  });
});
