/**
 * Owner models reached with a syncpool user pool's tokens, as DataStore's `userPool` mode sends
 * them: the access token in `Authorization`, the owner argument taken from the ID token's
 * `cognito:username` (or the claim the rule's `identityClaim` names) under the rule's
 * `ownerField`. Frame by frame over the realtime WebSocket and by raw HTTP: an owner naming the
 * caller is the caller, anyone else is `Unauthorized`. Users signed up and in through the real
 * `@aws-sdk/client-cognito-identity-provider`. Binds a port: the SDK and the socket need one.
 */
import { ConfirmSignUpCommand, InitiateAuthCommand, SignUpCommand, type CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { connectRealtime, headerProtocol, startMessage, type RawRealtimeClient } from "../helpers/realtime-raw-client.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { codeFromLog, cognitoClient, userPoolsConfig } from "../helpers/user-pool-clients.js";

const PASSWORD = "Correct-horse-9";
const SCHEMA = `
  type Diary @model @auth(rules: [{ allow: owner }]) { id: ID! entry: String! }
  type Essay @model @auth(rules: [{ allow: owner, ownerField: "author", identityClaim: "sub" }]) { id: ID! title: String! author: String }
`;

/** A signed-in user: the tokens DataStore holds, and the values it would send as owner. */
interface User {
  accessToken: string;
  username: string;
  sub: string;
}

let server: TestServer;
let cognito: CognitoIdentityProviderClient;
const opened: RawRealtimeClient[] = [];

beforeAll(async () => {
  const identityPool = poolSettingsSchema.parse({ id: "default", models: { schema: SCHEMA, conflictHandler: "AUTOMERGE" } });
  server = await startTestServer({ config: { userPools: userPoolsConfig("http://user-pool.test"), pools: [identityPool] } });
  cognito = cognitoClient(server.url);
});
afterAll(async () => {
  for (const client of opened) client.socket.terminate();
  cognito?.destroy();
  await server?.close();
});

async function signedUpUser(username: string): Promise<User> {
  await cognito.send(new SignUpCommand({ ClientId: "default", Username: username, Password: PASSWORD, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] }));
  const code = await codeFromLog(server.dataDir, username, "SIGN_UP");
  await cognito.send(new ConfirmSignUpCommand({ ClientId: "default", Username: username, ConfirmationCode: code! }));
  const signedIn = await cognito.send(new InitiateAuthCommand({ ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD } }));
  const idClaims = decodeJwt(signedIn.AuthenticationResult!.IdToken!);
  return { accessToken: signedIn.AuthenticationResult!.AccessToken!, username: String(idClaims["cognito:username"]), sub: String(idClaims.sub) };
}

/** A realtime connection with `user`'s access token, as DataStore opens it, acknowledged. */
async function connectAs(user: User): Promise<RawRealtimeClient> {
  const client = await connectRealtime(`${server.url.replace("http", "ws")}/appsync/default/graphql/realtime`, ["graphql-ws", headerProtocol({ Authorization: user.accessToken, host: "example.test" })]);
  opened.push(client);
  client.send({ type: "connection_init" });
  await client.next((frame) => frame.type === "connection_ack");
  return client;
}

async function modelApi(user: User, query: string, variables: object): Promise<any> {
  const response = await fetch(`${server.url}/appsync/default/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: user.accessToken }, body: JSON.stringify({ query, variables }) });
  return response.json();
}

describe("owner models with user-pool tokens", { timeout: 30_000 }, () => {
  let alice: User;
  let bob: User;
  beforeAll(async () => {
    alice = await signedUpUser("alice");
    bob = await signedUpUser("bob");
  });

  it("takes an owner argument of the caller's cognito:username as the caller and delivers only its items; another user's username is Unauthorized", async () => {
    const [aliceSocket, bobSocket] = await Promise.all([connectAs(alice), connectAs(bob)]);
    // The document DataStore builds for an owner rule, with the ID token's cognito:username.
    const document = "subscription operation($owner: String!) { onCreateDiary(owner: $owner) { id entry owner } }";
    aliceSocket.send(startMessage("a", document, { owner: "alice" }, { Authorization: alice.accessToken }));
    bobSocket.send(startMessage("b", document, { owner: "bob" }, { Authorization: bob.accessToken }));
    await aliceSocket.next((frame) => frame.type === "start_ack" && frame.id === "a");
    await bobSocket.next((frame) => frame.type === "start_ack" && frame.id === "b");

    bobSocket.send(startMessage("spy", document, { owner: "alice" }, { Authorization: bob.accessToken }));
    const refused = await bobSocket.next((frame) => frame.type === "error" && frame.id === "spy");
    expect(refused.payload.errors[0]).toMatchObject({ errorType: "Unauthorized", message: "Not Authorized to access onCreateDiary on type Subscription" });

    const create = "mutation ($input: CreateDiaryInput!) { createDiary(input: $input) { id owner } }";
    const aliceCreated = await modelApi(alice, create, { input: { id: "d-alice", entry: "alice's" } });
    await modelApi(bob, create, { input: { id: "d-bob", entry: "bob's" } });
    const aliceEvent = (await aliceSocket.next((frame) => frame.type === "data")).payload.data.onCreateDiary;
    expect(aliceEvent).toEqual({ id: "d-alice", entry: "alice's", owner: aliceCreated.data.createDiary.owner });
    expect((await bobSocket.next((frame) => frame.type === "data")).payload.data.onCreateDiary).toMatchObject({ id: "d-bob", entry: "bob's" });
    // Bob's own event came after Alice's write was published: had hers reached him, it would be here.
    expect([...aliceSocket.frames, ...bobSocket.frames].filter((frame) => frame.type === "data")).toEqual([]);
  });

  it("names the owner argument after the rule's ownerField and compares it with the claim the rule's identityClaim names", async () => {
    const socket = await connectAs(alice);
    const document = "subscription operation($author: String!) { onCreateEssay(author: $author) { id title author } }";
    socket.send(startMessage("own", document, { author: alice.sub }, { Authorization: alice.accessToken }));
    await socket.next((frame) => frame.type === "start_ack" && frame.id === "own");
    // With identityClaim "sub", the username is not the owner's name, and another user's sub is another owner.
    for (const [id, author] of [["by-username", alice.username], ["other-sub", bob.sub]] as const) {
      socket.send(startMessage(id, document, { author }, { Authorization: alice.accessToken }));
      expect((await socket.next((frame) => frame.type === "error" && frame.id === id)).payload.errors[0].errorType).toBe("Unauthorized");
    }
    // Essay's owner argument is `author`: the schema has no `owner` argument to give it.
    socket.send(startMessage("wrong-name", "subscription ($owner: String!) { onCreateEssay(owner: $owner) { id } }", { owner: alice.sub }, { Authorization: alice.accessToken }));
    expect((await socket.next((frame) => frame.type === "error" && frame.id === "wrong-name")).payload.errors[0].errorType).toBe("ValidationError");

    const created = await modelApi(alice, "mutation ($input: CreateEssayInput!) { createEssay(input: $input) { id author } }", { input: { id: "e-1", title: "mine" } });
    expect(created.errors).toBeUndefined();
    expect((await socket.next((frame) => frame.type === "data" && frame.id === "own")).payload.data.onCreateEssay).toEqual({ id: "e-1", title: "mine", author: created.data.createEssay.author });
  });

  it("stores the caller's identity as owner when a write names the caller by username, and refuses a write naming another user with Unauthorized", async () => {
    const create = "mutation ($input: CreateDiaryInput!) { createDiary(input: $input) { id entry owner } }";
    const byUsername = await modelApi(alice, create, { input: { id: "d-named", entry: "named", owner: "alice" } });
    expect(byUsername.errors).toBeUndefined();
    const plain = await modelApi(alice, create, { input: { id: "d-plain", entry: "plain" } });
    expect(byUsername.data.createDiary.owner).toBe(plain.data.createDiary.owner);
    expect(plain.data.createDiary.owner).toMatch(/^[\w-]+:[0-9a-f-]{36}$/);

    const refused = await modelApi(alice, create, { input: { id: "d-for-bob", entry: "for bob", owner: "bob" } });
    expect(refused).toMatchObject({ data: { createDiary: null }, errors: [{ errorType: "Unauthorized" }] });
    const update = "mutation ($input: UpdateDiaryInput!) { updateDiary(input: $input) { id owner } }";
    expect(await modelApi(alice, update, { input: { id: "d-named", owner: "bob" } })).toMatchObject({ errors: [{ errorType: "Unauthorized" }] });
    const { data } = await modelApi(alice, "query { getDiary(id: \"d-for-bob\") { id } }", {});
    expect(data.getDiary).toBeNull();
  });
});
