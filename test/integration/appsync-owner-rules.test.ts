/**
 * Models with an owner rule beside public, private or groups rules, over HTTP and the realtime
 * WebSocket: the items live in the pool's shared data naming their owner, each caller reaches
 * what its rules grant (its own items under the owner rule, every owner's under a read rule, and
 * writes to other owners' items under a groups rule), and a caller no rule grants reaches nothing.
 * Users signed up and in through the real `@aws-sdk/client-cognito-identity-provider`, one of them
 * put in `Admin`. Binds a port: the SDK and the sockets need one.
 */
import { AdminAddUserToGroupCommand, ConfirmSignUpCommand, CreateGroupCommand, InitiateAuthCommand, SignUpCommand, type CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { materializeStoredJson } from "../../core/shown-value.js";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { connectRealtime, headerProtocol, startMessage, type RawRealtimeClient } from "../helpers/realtime-raw-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { codeFromLog, cognitoClient, userPoolsConfig } from "../helpers/user-pool-clients.js";

const ADMIN_TOKEN = "admin-token-for-appsync-owner-rules-0123456789";
const DEVELOPER = { accessKeyId: "AKIAOWNERRULESTEST", secretAccessKey: "owner-rules-developer-secret-0123456789" };
const PASSWORD = "Correct-horse-9";
const SCHEMA = `
  type Memo @model @auth(rules: [{ allow: owner }, { allow: public, operations: [read] }, { allow: groups, groups: ["Admin"] }]) { id: ID! text: String! owner: String }
  type Plan @model @auth(rules: [{ allow: owner }, { allow: private, operations: [read] }]) { id: ID! text: String! owner: String }
`;
const MEMO = "id text owner _version _lastChangedAt _deleted";
const op = (name: string, kind: "Create" | "Update" | "Delete", model = "Memo") =>
  `mutation operation($input: ${kind}${model}Input!) { ${name}(input: $input) { ${MEMO} } }`;
const SYNC = (plural: string) =>
  `query operation($limit: Int, $nextToken: String, $lastSync: AWSTimestamp) { sync${plural}(limit: $limit, nextToken: $nextToken, lastSync: $lastSync) { items { ${MEMO} } nextToken startedAt } }`;

/** A caller: a signed-in user's access token, or the pool's API key. */
type Credential = { authorization: string } | { "x-api-key": string };

describe("a model with an owner rule beside other rules", { timeout: 60_000 }, () => {
  let server: TestServer;
  let cognito: CognitoIdentityProviderClient;
  let alice: Credential; // in Admin
  let bob: Credential;
  let apiKey: Credential;
  const identity = new Map<Credential, string>();
  const sockets: RawRealtimeClient[] = [];

  const call = async (who: Credential, query: string, variables: object): Promise<{ data?: any; errors?: any[] }> => {
    const response = await fetch(`${server.url}/appsync/default/graphql`, { method: "POST", headers: { "content-type": "application/json", ...who }, body: JSON.stringify({ query, variables }) });
    return (await response.json()) as { data?: any; errors?: any[] };
  };
  /** Every page of a base sync of `plural` by `who`, `limit` items a page: the ids, in order. */
  const syncedIds = async (who: Credential, plural: string, limit = 100): Promise<string[]> => {
    const ids: string[] = [];
    for (let nextToken: string | null = null, pages = 0; pages === 0 || nextToken !== null; pages++) {
      const { data, errors } = await call(who, SYNC(plural), { limit, nextToken, lastSync: 0 });
      if (errors) throw new Error(JSON.stringify(errors));
      ids.push(...data[`sync${plural}`].items.map((item: { id: string }) => item.id));
      nextToken = data[`sync${plural}`].nextToken;
    }
    return ids;
  };
  const stored = async (model: string, id: string) => {
    const page = await server.storage.datasets.readRecords("_shared:default", `model-${model}`, { sinceSyncCount: 0, limit: 1000 });
    const record = page.records.find((candidate) => candidate.key === id);
    return record ? (materializeStoredJson(record.value) as Record<string, unknown>) : null;
  };
  const signedIn = async (username: string, groups: string[] = []): Promise<Credential> => {
    await cognito.send(new SignUpCommand({ ClientId: "default", Username: username, Password: PASSWORD, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] }));
    const code = await codeFromLog(server.dataDir, username, "SIGN_UP");
    await cognito.send(new ConfirmSignUpCommand({ ClientId: "default", Username: username, ConfirmationCode: code! }));
    for (const group of groups) await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: "local_default", Username: username, GroupName: group }));
    const answer = await cognito.send(new InitiateAuthCommand({ ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD } }));
    return { authorization: answer.AuthenticationResult!.AccessToken! };
  };
  const connect = async (who: Credential): Promise<RawRealtimeClient> => {
    const client = await connectRealtime(`${server.url.replace("http", "ws")}/appsync/default/graphql/realtime`, ["graphql-ws", headerProtocol({ ...who, host: "example.test" })]);
    sockets.push(client);
    client.send({ type: "connection_init" });
    await client.next((frame) => frame.type === "connection_ack");
    return client;
  };
  const create = async (who: Credential, id: string, text: string, model = "Memo") => {
    const { data, errors } = await call(who, op(`create${model}`, "Create", model), { input: { id, text } });
    expect(errors).toBeUndefined();
    identity.set(who, data[`create${model}`].owner);
    return data[`create${model}`] as { id: string; owner: string; _version: number };
  };

  beforeAll(async () => {
    const pool = poolSettingsSchema.parse({ id: "default", developerCredentials: DEVELOPER, models: { schema: SCHEMA, conflictHandler: "AUTOMERGE" } });
    server = await startTestServer({ config: { userPools: userPoolsConfig("http://user-pool.test"), pools: [pool], adminToken: ADMIN_TOKEN } });
    cognito = cognitoClient(server.url, DEVELOPER);
    await cognito.send(new CreateGroupCommand({ UserPoolId: "local_default", GroupName: "Admin" }));
    alice = await signedIn("alice", ["Admin"]);
    bob = await signedIn("bob");
    const issued = await server.gql(`mutation { createApiKey(identityPoolId: "default", expiresInDays: 7) { apiKey } }`, {}, ADMIN_TOKEN);
    apiKey = { "x-api-key": issued.data.createApiKey.apiKey };
  });
  afterAll(async () => {
    for (const socket of sockets) socket.socket.terminate();
    cognito?.destroy();
    await server?.close();
  });

  it("keeps the items in the pool's shared data, each naming its owner's identity, and lets the public read rule's API key read every owner's items and write none", async () => {
    const mine = await create(alice, "m-alice", "alice's memo");
    const bobs = await create(bob, "m-bob", "bob's memo");
    // Alice is in Admin, which admits her create: the item she makes is still hers.
    expect(mine.owner).toEqual(expect.stringMatching(/:/));
    expect(mine.owner).not.toBe(bobs.owner);
    expect(await stored("Memo", "m-bob")).toMatchObject({ text: "bob's memo", owner: bobs.owner });

    expect(await syncedIds(apiKey, "Memos")).toEqual(["m-alice", "m-bob"]);
    expect((await call(apiKey, `query q($id: ID!) { getMemo(id: $id) { id text } }`, { id: "m-bob" })).data.getMemo).toMatchObject({ text: "bob's memo" });
    const update = await call(apiKey, op("updateMemo", "Update"), { input: { id: "m-bob", text: "defaced", _version: bobs._version } });
    expect(update.errors?.[0]).toMatchObject({ errorType: "Unauthorized", message: "Not Authorized to access updateMemo on type Mutation" });
    const created = await call(apiKey, op("createMemo", "Create"), { input: { id: "m-key", text: "by key" } });
    expect(created.errors?.[0]).toMatchObject({ errorType: "Unauthorized" });
    expect(await stored("Memo", "m-bob")).toMatchObject({ text: "bob's memo" });
    expect(await stored("Memo", "m-key")).toBeNull();
  });

  it("gives a caller only the owner rule admits its own items alone, in every page of a sync, and refuses it another owner's item", async () => {
    await create(alice, "m-alice-2", "another of alice's");
    // One item a page: Bob's pages skip Alice's items (some pages are empty) and end with a null token.
    expect(await syncedIds(bob, "Memos", 1)).toEqual(["m-bob"]);
    expect(await syncedIds(alice, "Memos", 1)).toEqual(["m-alice", "m-bob", "m-alice-2"]);
    expect((await call(bob, `query q($id: ID!) { getMemo(id: $id) { id } }`, { id: "m-alice" })).data.getMemo).toBeNull();
    const current = await stored("Memo", "m-alice");
    for (const [query, input] of [
      [op("updateMemo", "Update"), { id: "m-alice", text: "bob was here" }],
      [op("deleteMemo", "Delete"), { id: "m-alice" }],
    ] as const) {
      const answer = await call(bob, query, { input: { ...input, _version: 1 } });
      expect(answer.errors?.[0]).toMatchObject({ errorType: "Unauthorized" });
    }
    expect(await stored("Memo", "m-alice")).toEqual(current);
  });

  it("lets the groups rule's Admin update and delete another owner's item, which keeps its owner and reaches the owner's sync and owner subscription", async () => {
    const socket = await connect(bob);
    socket.send(startMessage("bob-updates", `subscription s($owner: String) { onUpdateMemo(owner: $owner) { ${MEMO} } }`, { owner: "bob" }));
    await socket.next((frame) => frame.type === "start_ack" && frame.id === "bob-updates");
    const before = (await call(bob, `query q($id: ID!) { getMemo(id: $id) { ${MEMO} } }`, { id: "m-bob" })).data.getMemo;
    const updated = await call(alice, op("updateMemo", "Update"), { input: { id: "m-bob", text: "reviewed by admin", _version: before._version } });
    expect(updated.errors).toBeUndefined();
    expect(updated.data.updateMemo).toMatchObject({ text: "reviewed by admin", owner: identity.get(bob) });
    const frame = await socket.next((candidate) => candidate.type === "data" && candidate.id === "bob-updates");
    expect(frame.payload.data.onUpdateMemo).toMatchObject({ id: "m-bob", text: "reviewed by admin", owner: identity.get(bob) });
    const bobsView = await call(bob, SYNC("Memos"), { limit: 100, nextToken: null, lastSync: before._lastChangedAt });
    expect(bobsView.data.syncMemos.items).toEqual([expect.objectContaining({ id: "m-bob", text: "reviewed by admin" })]);

    const deleted = await call(alice, op("deleteMemo", "Delete"), { input: { id: "m-bob", _version: updated.data.updateMemo._version } });
    expect(deleted.data.deleteMemo).toMatchObject({ _deleted: true, owner: identity.get(bob) });
    expect(await stored("Memo", "m-bob")).toMatchObject({ _deleted: true, owner: identity.get(bob) });
  });

  it("delivers every owner's changes to a subscription a read rule admits, and only the caller's own to one only the owner rule admits", async () => {
    const [keySocket, bobSocket] = await Promise.all([connect(apiKey), connect(bob)]);
    keySocket.send(startMessage("all", `subscription { onCreateMemo { ${MEMO} } }`));
    bobSocket.send(startMessage("own", `subscription { onCreateMemo { ${MEMO} } }`));
    await Promise.all([keySocket.next((frame) => frame.type === "start_ack"), bobSocket.next((frame) => frame.type === "start_ack")]);
    await create(alice, "m-live-alice", "live from alice");
    await create(bob, "m-live-bob", "live from bob");
    for (const id of ["m-live-alice", "m-live-bob"]) await keySocket.next((frame) => frame.type === "data" && frame.payload.data.onCreateMemo.id === id);
    await bobSocket.next((frame) => frame.type === "data" && frame.payload.data.onCreateMemo.id === "m-live-bob");
    // Bob's own create came after Alice's: had hers reached him, it would be here by now.
    expect(bobSocket.frames.filter((frame) => frame.type === "data").map((frame) => frame.payload.data.onCreateMemo.id)).toEqual([]);
  });

  it("lets a private read rule's signed-in users read every owner's items but not change them, and refuses the API key no rule admits", async () => {
    await create(alice, "p-alice", "alice's plan", "Plan");
    await create(bob, "p-bob", "bob's plan", "Plan");
    expect(await syncedIds(bob, "Plans")).toEqual(["p-alice", "p-bob"]);
    const update = await call(bob, op("updatePlan", "Update", "Plan"), { input: { id: "p-alice", text: "bob's now", _version: 1 } });
    expect(update.errors?.[0]).toMatchObject({ errorType: "Unauthorized" });
    expect(await stored("Plan", "p-alice")).toMatchObject({ text: "alice's plan" });
    const refused = await call(apiKey, SYNC("Plans"), { limit: 100, nextToken: null, lastSync: 0 });
    expect(refused.data).toEqual({ syncPlans: null });
    expect(refused.errors?.[0]).toMatchObject({ errorType: "Unauthorized", message: "Not Authorized to access syncPlans on type Query" });
    const socket = await connect(apiKey);
    socket.send(startMessage("plans", `subscription { onCreatePlan { id } }`));
    const error = await socket.next((frame) => frame.type === "error" && frame.id === "plans");
    expect(error.payload.errors[0]).toMatchObject({ errorType: "Unauthorized" });
  });
});
