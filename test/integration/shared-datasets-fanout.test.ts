/**
 * Shared-dataset changes cross instances like any other: two servers on one PostgreSQL schema, a
 * member of the group subscribed (`shared: true`) on the second, another member pushing on the
 * first. The change arrives over PostgreSQL NOTIFY and over Redis pub/sub, marked `shared`.
 * The postgres test project only (`vitest.config.ts`).
 * Binds ports: the subscriber is a graphql-ws client on a real WebSocket.
 */
import { afterAll, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import type { ServerConfig } from "../../server/config.js";
import { createTestSchema, describeWithPostgres, dropTestSchema, postgresTestUrl } from "../helpers/postgres.js";
import { connectWs } from "../helpers/push-clients.js";
import { startTestServer } from "../helpers/server.js";

const redisUrl = process.env["SYNCPOOL_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";
const ADMIN_TOKEN = "admin-token-for-shared-fanout-0123456789";
const SHARED_CHANGED = `subscription { datasetChanged(shared: true) { dataset syncCount mutationId shared records { key value } } }`;
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function sharedAcrossInstances(extra: Partial<ServerConfig>) {
  const schema = await createTestSchema();
  cleanups.push(() => dropTestSchema(schema));
  const pool = poolSettingsSchema.parse({
    id: "default",
    sharedDatasets: [{ name: "family-*", owner: "group:family-42", read: ["group:family-42"], write: ["group:family-42"] }],
  });
  const config = { databaseUrl: postgresTestUrl, databaseSchema: schema, databasePoolSize: 3, pools: [pool], adminToken: ADMIN_TOKEN, ...extra };
  const a = await startTestServer({ config });
  cleanups.push(() => a.close());
  const b = await startTestServer({ config, dataDir: a.dataDir });
  cleanups.push(() => b.close());
  const member = async () => {
    const guest = await a.signInGuest();
    const added = await a.gql(`mutation ($id: String!) { addGroupMember(identityPoolId: "default", group: "family-42", identityId: $id) }`, { id: guest.identityId }, ADMIN_TOKEN);
    expect(added.errors).toBeUndefined();
    return guest;
  };
  const [alice, bob] = [await member(), await member()];
  const connection = connectWs(b, bob.token);
  cleanups.push(() => connection.dispose());
  const onB = connection.subscribe({}, SHARED_CHANGED);
  await onB.ready;
  const pushOnA = () =>
    a.gql(
      `mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }`,
      { input: { dataset: "family-list", shared: true, deviceId: "alice", mutationId: "m1", patches: [{ op: "REPLACE", key: "milk", value: "2" }] } },
      alice.token,
    );
  return { onB, pushOnA };
}

await describeWithPostgres("shared-dataset changes across instances", () => {
  for (const [bus, extra] of [["PostgreSQL NOTIFY", {}], ["Redis pub/sub", { redisUrl }]] as const) {
    it(`relays a shared dataset's change to a member subscribed on another instance, over ${bus}`, async () => {
      const { onB, pushOnA } = await sharedAcrossInstances(extra);
      expect((await pushOnA()).errors).toBeUndefined();
      expect(await onB.next()).toMatchObject({ dataset: "family-list", syncCount: 1, mutationId: "m1", shared: true, records: [{ key: "milk", value: "2" }] });
    });
  }
}, { timeout: 20_000 });
