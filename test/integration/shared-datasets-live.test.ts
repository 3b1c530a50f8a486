/**
 * Live subscriptions to shared datasets (`datasetChanged(shared: true)`): a member hears every
 * shared dataset it may read, marked `shared`, and nothing else; an identity outside the group is
 * refused at subscribe time over WebSocket and SSE and hears nothing of the group's datasets when
 * it listens to all shared datasets; a member removed from the group stops hearing at once, as
 * membership is checked per change. The AWS endpoints refuse the shared owner path for reading,
 * writing and subscribing alike.
 * Binds a port: WebSocket and SSE subscriptions, and the AWS SDK's own HTTP requests.
 */
import { ListRecordsCommand, SubscribeToDatasetCommand, UpdateRecordsCommand } from "@aws-sdk/client-cognito-sync";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { groupOwnerId } from "../../server/identity/shared-access.js";
import { awsClients } from "../helpers/aws-clients.js";
import { connectWs, subscribeSse, subscriptionsReleased, type LiveSubscription, type WsConnection } from "../helpers/push-clients.js";
import { startTestServer, type GqlResponse, type TestServer } from "../helpers/server.js";

const POOL = "us-east-1:5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const ADMIN_TOKEN = "admin-token-for-shared-live-0123456789";
const SHARED_CHANGED = `subscription ($dataset: String, $since: Int) {
  datasetChanged(dataset: $dataset, sinceSyncCount: $since, shared: true) { dataset syncCount mutationId behind shared records { key value } } }`;
const PUSH = `mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }`;

const open: Array<LiveSubscription | WsConnection> = [];
/** The server of this file's tests, once started: each test starts once the previous one's subscriptions are released. */
let live: TestServer | undefined;
afterEach(async () => {
  for (const item of open.splice(0)) "dispose" in item ? await item.dispose() : item.close();
  if (live) await subscriptionsReleased(live);
});

describe("live subscriptions to shared datasets", () => {
  let server: TestServer;
  let mutation = 0;

  beforeAll(async () => {
    const pool = poolSettingsSchema.parse({
      id: POOL,
      region: "us-east-1",
      awsGuestAccess: "open",
      stream: { shards: 1 },
      sharedDatasets: [
        { name: "family-*", owner: "group:family-42", read: ["group:family-42"], write: ["group:family-42"] },
        { name: "board", owner: "pool", read: ["any"], write: ["group:family-42"] },
      ],
    });
    server = live = await startTestServer({ config: { pools: [pool], adminToken: ADMIN_TOKEN } });
  });
  afterAll(async () => server?.close());

  const membership = async (op: "addGroupMember" | "removeGroupMember", identityId: string) => {
    const answer = await server.gql(`mutation ($pool: String!, $id: String!) { ${op}(identityPoolId: $pool, group: "family-42", identityId: $id) }`, { pool: POOL, id: identityId }, ADMIN_TOKEN);
    expect(answer.errors).toBeUndefined();
  };
  const member = async () => {
    const guest = await server.signInGuest(POOL);
    await membership("addGroupMember", guest.identityId);
    return guest;
  };
  const push = async (token: string, dataset: string, shared: boolean, value: string): Promise<string> => {
    const mutationId = `m${++mutation}`;
    const answer = await server.gql(PUSH, { input: { dataset, shared, deviceId: "device", mutationId, patches: [{ op: "REPLACE", key: "k", value }] } }, token);
    expect(answer.errors).toBeUndefined();
    return mutationId;
  };
  const ws = (token: string, variables: { dataset?: string; since?: number } = {}) => {
    const connection = connectWs(server, token);
    open.push(connection);
    return connection.subscribe(variables, SHARED_CHANGED);
  };
  const sse = (token: string, variables: { dataset?: string; since?: number } = {}) => {
    const subscription = subscribeSse(server, token, variables, SHARED_CHANGED);
    open.push(subscription);
    return subscription;
  };
  const refusal = (errors: unknown) => (errors as GqlResponse["errors"])?.[0]?.extensions;

  it("a member hears every shared dataset it may read, marked shared, and not own datasets of the same name", async () => {
    const [alice, bob] = [await member(), await member()];
    const heard = ws(alice.token);
    await heard.ready;
    await push(alice.token, "family-list", false, "alice's own");
    const fromBob = await push(bob.token, "family-list", true, "milk");
    const onBoard = await push(bob.token, "board", true, "notice");
    expect(await heard.next()).toMatchObject({ dataset: "family-list", mutationId: fromBob, shared: true, records: [{ key: "k", value: "milk" }] });
    expect(await heard.next()).toMatchObject({ dataset: "board", mutationId: onBoard, shared: true });
  });

  it("an outsider listening to all shared datasets hears the pool's board but nothing of the family's datasets", async () => {
    const bob = await member();
    const carol = await server.signInGuest(POOL);
    const heard = sse(carol.token);
    await heard.ready;
    await push(bob.token, "family-secret", true, "hidden");
    const onBoard = await push(bob.token, "board", true, "for everyone");
    // Events keep the bus's order: had the family's change reached carol, it would come first.
    expect(await heard.next()).toMatchObject({ dataset: "board", mutationId: onBoard, shared: true });
  });

  it("refuses an outsider's subscription to one shared dataset with SHARED_DENIED, over WebSocket and over SSE", async () => {
    const carol = await server.signInGuest(POOL);
    for (const subscription of [ws(carol.token, { dataset: "family-list" }), sse(carol.token, { dataset: "family-list" })]) {
      expect(refusal(await subscription.errors.next())).toMatchObject({ code: "FORBIDDEN", reason: "SHARED_DENIED", dataset: "family-list" });
    }
  });

  it("stops telling a member removed from the group: membership is checked for every change", async () => {
    const [alice, bob] = [await member(), await member()];
    const heard = ws(alice.token);
    await heard.ready;
    const before = await push(bob.token, "family-list", true, "before");
    expect(await heard.next()).toMatchObject({ mutationId: before });
    await membership("removeGroupMember", alice.identityId);
    await push(bob.token, "family-list", true, "after");
    const onBoard = await push(bob.token, "board", true, "still readable");
    expect(await heard.next()).toMatchObject({ dataset: "board", mutationId: onBoard });
  });

  it("tells a member resuming one shared dataset at an older count that it is behind", async () => {
    const alice = await member();
    await push(alice.token, "family-resume", true, "1");
    await push(alice.token, "family-resume", true, "2");
    const heard = ws(alice.token, { dataset: "family-resume", since: 0 });
    expect(await heard.next()).toMatchObject({ dataset: "family-resume", syncCount: 2, behind: true, shared: true });
  });

  it("the AWS endpoints refuse a shared dataset's owner path for reading, writing and subscribing", async () => {
    const aws = awsClients(server.url);
    const { credentials } = await aws.credentialsFor(POOL);
    const sync = aws.sync(credentials);
    const path = { IdentityPoolId: POOL, IdentityId: groupOwnerId(POOL, "family-42"), DatasetName: "family-list" };
    const calls = [
      () => sync.send(new ListRecordsCommand(path)),
      () => sync.send(new UpdateRecordsCommand({ ...path, SyncSessionToken: "token", RecordPatches: [{ Op: "replace", Key: "k", Value: "v", SyncCount: 0 }] })),
      () => sync.send(new SubscribeToDatasetCommand({ ...path, DeviceId: "device" })),
    ];
    for (const call of calls) {
      const error = (await call().then(() => null, (caught: unknown) => caught)) as { name: string; message: string } | null;
      expect(error).toMatchObject({ name: "NotAuthorizedException", message: expect.stringMatching(/Shared datasets are not part of Cognito Sync/) });
    }
  });
});
