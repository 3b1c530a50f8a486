/**
 * Fan-out once per change (`server/push/use-shared-subscription-results.ts`): a change is executed
 * and serialized once per selection and that text goes to every subscriber that selected the same;
 * this proves that sharing never hands a subscriber another selection's fields, nor a change it may
 * not read.
 * Binds a port: graphql-ws on real WebSockets.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { connectWs, subscriptionsReleased, type WsConnection } from "../helpers/push-clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const POOL = "us-east-1:0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
const ADMIN_TOKEN = "admin-token-for-fanout-tests-0123456789";
const PUSH = `mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }`;
const SHARED_CHANGED = `subscription { datasetChanged(shared: true) { dataset mutationId shared } }`;

const open: WsConnection[] = [];
let live: TestServer | undefined;
afterEach(async () => {
  await Promise.all(open.splice(0).map((connection) => connection.dispose()));
  if (live) await subscriptionsReleased(live);
});

describe("fan-out once per change", () => {
  let server: TestServer;
  let mutation = 0;

  beforeAll(async () => {
    const pool = poolSettingsSchema.parse({
      id: POOL,
      region: "us-east-1",
      sharedDatasets: [
        { name: "family-*", owner: "group:family-7", read: ["group:family-7"], write: ["group:family-7"] },
        { name: "board", owner: "pool", read: ["any"], write: ["group:family-7"] },
      ],
    });
    server = live = await startTestServer({ config: { pools: [pool], adminToken: ADMIN_TOKEN } });
  });
  afterAll(async () => server?.close());

  const subscribe = (token: string, query: string, variables: Record<string, unknown> = {}) => {
    const connection = connectWs(server, token);
    open.push(connection);
    return connection.subscribe(variables as { dataset?: string }, query);
  };
  const push = async (token: string, dataset: string, shared: boolean, value: string): Promise<{ mutationId: string; syncCount: number }> => {
    const mutationId = `fan-${++mutation}`;
    const answer = await server.gql<{ pushRecords: { datasetSyncCount: number } }>(PUSH, { input: { dataset, shared, deviceId: "writer", mutationId, patches: [{ op: "REPLACE", key: "k", value }] } }, token);
    expect(answer.errors).toBeUndefined();
    return { mutationId, syncCount: answer.data!.pushRecords.datasetSyncCount };
  };

  it("gives each subscriber of one dataset exactly the fields it selected, also when others select the same or differ only in variables", async () => {
    const alice = await server.signInGuest(POOL);
    const counts = `subscription { datasetChanged(dataset: "notes") { syncCount mutationId } }`;
    const records = `subscription { datasetChanged(dataset: "notes") { dataset records { key value } } }`;
    const maybeRecords = `subscription ($full: Boolean!) { datasetChanged(dataset: "notes") { syncCount records @include(if: $full) { key } } }`;
    const [first, second, third] = [subscribe(alice.token, counts), subscribe(alice.token, counts), subscribe(alice.token, records)];
    const [withRecords, withoutRecords] = [subscribe(alice.token, maybeRecords, { full: true }), subscribe(alice.token, maybeRecords, { full: false })];
    await Promise.all([first, second, third, withRecords, withoutRecords].map((subscription) => subscription.ready));

    const { mutationId, syncCount } = await push(alice.token, "notes", false, "hello");
    expect(await first.next()).toEqual({ syncCount, mutationId });
    expect(await second.next()).toEqual({ syncCount, mutationId });
    expect(await third.next()).toEqual({ dataset: "notes", records: [{ key: "k", value: "hello" }] });
    expect(await withRecords.next()).toEqual({ syncCount, records: [{ key: "k" }] });
    expect(await withoutRecords.next()).toEqual({ syncCount });
  });

  it("tells a group's change to its member but nothing to an outsider subscribed with the very same document", async () => {
    const join = async () => {
      const guest = await server.signInGuest(POOL);
      const answer = await server.gql(`mutation ($pool: String!, $id: String!) { addGroupMember(identityPoolId: $pool, group: "family-7", identityId: $id) }`, { pool: POOL, id: guest.identityId }, ADMIN_TOKEN);
      expect(answer.errors).toBeUndefined();
      return guest;
    };
    const [member, writer] = [await join(), await join()];
    const outsider = await server.signInGuest(POOL);
    const memberHears = subscribe(member.token, SHARED_CHANGED);
    const outsiderHears = subscribe(outsider.token, SHARED_CHANGED);
    await Promise.all([memberHears.ready, outsiderHears.ready]);

    const secret = await push(writer.token, "family-plans", true, "surprise");
    const notice = await push(writer.token, "board", true, "for everyone");
    expect(await memberHears.next()).toEqual({ dataset: "family-plans", mutationId: secret.mutationId, shared: true });
    expect(await memberHears.next()).toEqual({ dataset: "board", mutationId: notice.mutationId, shared: true });
    // Events keep the bus's order: had the family's change reached the outsider, it would come first.
    expect(await outsiderHears.next()).toEqual({ dataset: "board", mutationId: notice.mutationId, shared: true });
    expect(outsiderHears.events.unread()).toEqual([]);
  });
});
