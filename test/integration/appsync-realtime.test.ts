/**
 * The model API's realtime WebSocket spoken frame by frame, as aws-amplify 6 speaks it (a socket,
 * so a port): the handshake with the auth in the `header-` subprotocol or in `?header=`,
 * `connection_ack` and `ka`, `start`/`start_ack`, `data` for writes from any source, `stop`/
 * `complete`, refusals as `error` frames on an open socket, and owner models kept to their owner.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { DEFAULT_PUSH_CONFIG } from "../../server/push/push-config.js";
import { connectRealtime as connect, startMessage as start, type RawRealtimeClient as RawClient } from "../helpers/realtime-raw-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const ADMIN_TOKEN = "admin-token-for-appsync-realtime-0123456789";
const SCHEMA = `
  type Todo @model @auth(rules: [{ allow: public }]) { id: ID! title: String! done: Boolean }
  type Diary @model @auth(rules: [{ allow: owner }]) { id: ID! entry: String! }
`;
const TODO_FIELDS = "id title done createdAt updatedAt _version _lastChangedAt _deleted";
const encode = (headers: object) => Buffer.from(JSON.stringify(headers)).toString("base64url");

describe("the model API's realtime WebSocket", () => {
  let server: TestServer;
  let apiKey: string;
  let realtimeUrl: string;
  const opened: RawClient[] = [];
  const open = async (protocols: string[], url = realtimeUrl) => {
    const client = await connect(url, protocols);
    opened.push(client);
    return client;
  };
  const gqlModels = async (query: string, variables: object, headers: Record<string, string>) => {
    const response = await fetch(`${server.url}/appsync/app/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query, variables }) });
    return response.json();
  };

  beforeAll(async () => {
    const models = { schema: SCHEMA, conflictHandler: "AUTOMERGE" };
    server = await startTestServer({
      config: { pools: [poolSettingsSchema.parse({ id: "app", models })], adminToken: ADMIN_TOKEN, push: { ...DEFAULT_PUSH_CONFIG, keepAliveMs: 100 } },
    });
    apiKey = (await server.gql(`mutation { createApiKey(identityPoolId: "app", expiresInDays: 1) { apiKey } }`, {}, ADMIN_TOKEN)).data.createApiKey.apiKey;
    realtimeUrl = `${server.url.replace("http", "ws")}/appsync/app/graphql/realtime`;
  });
  afterAll(async () => {
    for (const client of opened) client.socket.terminate();
    await server?.close();
  });

  it("selects graphql-ws, acks connection_init with connectionTimeoutMs and keeps the connection alive with ka frames", async () => {
    const client = await open(["graphql-ws", `header-${encode({ host: "example.test", "x-amz-date": "20261121T225552Z", "x-api-key": apiKey })}`]);
    expect(client.protocol).toBe("graphql-ws");
    client.send({ type: "connection_init" });
    expect(await client.next((frame) => frame.type === "connection_ack")).toEqual({ type: "connection_ack", payload: { connectionTimeoutMs: 300000 } });
    await client.next((frame) => frame.type === "ka");
    // Sent on a schedule (every keepAliveMs), not only once after the ack.
    await client.next((frame) => frame.type === "ka");
  });

  it("delivers a model API create, update and delete to onCreate, onUpdate and onDelete with the client's selection, then completes on stop", async () => {
    const client = await open(["graphql-ws", `header-${encode({ "x-api-key": apiKey })}`]);
    client.send({ type: "connection_init" });
    await client.next((frame) => frame.type === "connection_ack");
    const auth = { "x-api-key": apiKey };
    for (const op of ["Create", "Update", "Delete"]) {
      client.send(start(`sub-${op}`, `subscription operation { on${op}Todo { ${TODO_FIELDS} } }`, {}, auth));
      expect(await client.next((frame) => frame.type === "start_ack" && frame.id === `sub-${op}`)).toEqual({ type: "start_ack", id: `sub-${op}` });
    }
    await gqlModels(`mutation ($input: CreateTodoInput!) { createTodo(input: $input) { id } }`, { input: { id: "t1", title: "live" } }, auth);
    const created = await client.next((frame) => frame.type === "data" && frame.id === "sub-Create");
    expect(created.payload.data.onCreateTodo).toMatchObject({ id: "t1", title: "live", done: null, _deleted: false, _version: expect.any(Number), _lastChangedAt: expect.any(Number) });
    await gqlModels(`mutation ($input: UpdateTodoInput!) { updateTodo(input: $input) { id } }`, { input: { id: "t1", done: true, _version: created.payload.data.onCreateTodo._version } }, auth);
    const updated = await client.next((frame) => frame.type === "data" && frame.id === "sub-Update");
    expect(updated.payload.data.onUpdateTodo).toMatchObject({ id: "t1", title: "live", done: true, _deleted: false });
    await gqlModels(`mutation ($input: DeleteTodoInput!) { deleteTodo(input: $input) { id } }`, { input: { id: "t1", _version: updated.payload.data.onUpdateTodo._version } }, auth);
    const deleted = await client.next((frame) => frame.type === "data" && frame.id === "sub-Delete");
    expect(deleted.payload.data.onDeleteTodo).toMatchObject({ id: "t1", _deleted: true });
    // Each write reached only its own operation's subscription.
    expect(client.frames.filter((frame) => frame.type === "data")).toEqual([]);

    client.send({ type: "stop", id: "sub-Create" });
    expect(await client.next((frame) => frame.type === "complete")).toEqual({ type: "complete", id: "sub-Create" });
    await gqlModels(`mutation ($input: CreateTodoInput!) { createTodo(input: $input) { id } }`, { input: { id: "t2", title: "after stop" } }, auth);
    // A fact to wait on: a second socket still subscribed sees t2, the stopped one never does.
    const witness = await open(["graphql-ws", `header-${encode(auth)}`]);
    witness.send({ type: "connection_init" });
    await witness.next((frame) => frame.type === "connection_ack");
    witness.send(start("w", `subscription { onUpdateTodo { id title } }`, {}, auth));
    await witness.next((frame) => frame.type === "start_ack");
    await gqlModels(`mutation ($input: UpdateTodoInput!) { updateTodo(input: $input) { id } }`, { input: { id: "t2", title: "seen" } }, auth);
    await witness.next((frame) => frame.type === "data" && frame.payload.data.onUpdateTodo.title === "seen");
    expect(client.frames.filter((frame) => frame.type === "data" && frame.id === "sub-Create")).toEqual([]);
  });

  it("accepts the older clients' ?header= query parameter (standard base64)", async () => {
    const header = Buffer.from(JSON.stringify({ host: "example.test", "x-api-key": apiKey })).toString("base64");
    const client = await open(["graphql-ws"], `${realtimeUrl}?header=${encodeURIComponent(header)}&payload=e30=`);
    client.send({ type: "connection_init" });
    await client.next((frame) => frame.type === "connection_ack");
  });

  it("refuses a connection without valid credentials with connection_error 401 and closes it", async () => {
    const client = await open(["graphql-ws", `header-${encode({ "x-api-key": "da2-not-a-key" })}`]);
    client.send({ type: "connection_init" });
    const refused = await client.next((frame) => frame.type === "connection_error");
    expect(refused.payload.errors[0]).toMatchObject({ errorType: "UnauthorizedException", errorCode: 401 });
    await client.closed;
    const bare = await open(["graphql-ws"]);
    bare.send({ type: "connection_init" });
    expect((await bare.next((frame) => frame.type === "connection_error")).payload.errors[0].errorCode).toBe(401);
  });

  it("answers bad messages with error frames and keeps serving the socket", async () => {
    const client = await open(["graphql-ws", `header-${encode({ "x-api-key": apiKey })}`]);
    client.send({ id: "early", type: "start", payload: { data: JSON.stringify({ query: "subscription { onCreateTodo { id } }" }) } });
    expect((await client.next((frame) => frame.type === "error" && frame.id === "early")).payload.errors[0].errorType).toBe("ConnectionNotInitialized");
    client.send({ type: "connection_init" });
    await client.next((frame) => frame.type === "connection_ack");
    client.send("not json");
    expect((await client.next((frame) => frame.type === "error")).payload.errors[0].errorType).toBe("BadRequestException");
    client.send({ type: "subscribe", id: "x" });
    expect((await client.next((frame) => frame.type === "error" && frame.id === "x")).payload.errors[0].errorType).toBe("UnsupportedOperation");
    client.send({ id: "no-data", type: "start", payload: {} });
    expect((await client.next((frame) => frame.type === "error" && frame.id === "no-data")).payload.errors[0].errorType).toBe("BadRequestException");
    client.send(start("bad-query", "subscription { onCreateTodo { nope } }"));
    expect((await client.next((frame) => frame.type === "error" && frame.id === "bad-query")).payload.errors[0].errorType).toBe("ValidationError");
    client.send(start("a-query", "query { getTodo(id: \"x\") { id } }"));
    expect((await client.next((frame) => frame.type === "error" && frame.id === "a-query")).payload.errors[0].errorType).toBe("UnsupportedOperation");
    client.send(start("ok", "subscription { onCreateTodo { id } }"));
    await client.next((frame) => frame.type === "start_ack" && frame.id === "ok");
    client.send(start("ok", "subscription { onCreateTodo { id } }"));
    expect((await client.next((frame) => frame.type === "error" && frame.id === "ok")).payload.errors[0].errorType).toBe("DuplicateSubscriptionId");
  });

  it("keeps an owner model's events to their owner: no owner argument filters by the connection's identity, another owner's is Unauthorized", async () => {
    const alice = await server.signInGuest("app");
    const bob = await server.signInGuest("app");
    const connectAs = async (token: string) => {
      const client = await open(["graphql-ws", `header-${encode({ Authorization: token, host: "example.test" })}`]);
      client.send({ type: "connection_init" });
      await client.next((frame) => frame.type === "connection_ack");
      return client;
    };
    const [aliceSocket, bobSocket] = await Promise.all([connectAs(alice.token), connectAs(bob.token)]);
    aliceSocket.send(start("a", "subscription { onCreateDiary { id entry owner } }", {}, { Authorization: alice.token }));
    bobSocket.send(start("b", "subscription { onCreateDiary { id entry owner } }", {}, { Authorization: bob.token }));
    await aliceSocket.next((frame) => frame.type === "start_ack");
    await bobSocket.next((frame) => frame.type === "start_ack");
    bobSocket.send(start("spy", "subscription ($owner: String!) { onCreateDiary(owner: $owner) { id } }", { owner: alice.identityId }, { Authorization: bob.token }));
    const refused = await bobSocket.next((frame) => frame.type === "error" && frame.id === "spy");
    expect(refused.payload.errors[0]).toMatchObject({ errorType: "Unauthorized", message: "Not Authorized to access onCreateDiary on type Subscription" });
    // A subscription of an owner model over an API key is refused the same way.
    const keyed = await open(["graphql-ws", `header-${encode({ "x-api-key": apiKey })}`]);
    keyed.send({ type: "connection_init" });
    await keyed.next((frame) => frame.type === "connection_ack");
    keyed.send(start("k", "subscription { onCreateDiary { id } }", {}, { "x-api-key": apiKey }));
    expect((await keyed.next((frame) => frame.type === "error" && frame.id === "k")).payload.errors[0].errorType).toBe("Unauthorized");

    await gqlModels(`mutation ($input: CreateDiaryInput!) { createDiary(input: $input) { id } }`, { input: { id: "d-alice", entry: "alice's" } }, { authorization: alice.token });
    await gqlModels(`mutation ($input: CreateDiaryInput!) { createDiary(input: $input) { id } }`, { input: { id: "d-bob", entry: "bob's" } }, { authorization: bob.token });
    expect((await aliceSocket.next((frame) => frame.type === "data")).payload.data.onCreateDiary).toEqual({ id: "d-alice", entry: "alice's", owner: alice.identityId });
    expect((await bobSocket.next((frame) => frame.type === "data")).payload.data.onCreateDiary).toEqual({ id: "d-bob", entry: "bob's", owner: bob.identityId });
    // Bob's own event came after Alice's write was published: had hers reached him, it would be here.
    expect([...aliceSocket.frames, ...bobSocket.frames].filter((frame) => frame.type === "data")).toEqual([]);
    // With the owner argument naming itself, as DataStore sends it, the subscription is accepted.
    aliceSocket.send(start("own", "subscription ($owner: String!) { onCreateDiary(owner: $owner) { id } }", { owner: alice.identityId }, { Authorization: alice.token }));
    await aliceSocket.next((frame) => frame.type === "start_ack" && frame.id === "own");
  });
});
