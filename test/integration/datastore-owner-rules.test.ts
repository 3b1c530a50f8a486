/**
 * Unmodified Amplify DataStore (aws-amplify 6.22, @aws-amplify/datastore 5.1) in `userPool` mode
 * against a model with an owner rule beside a private read rule and a groups rule, as AppSync
 * serves one: another signed-in user syncs the owner's items and cannot change them, and an
 * `Admin` updates another owner's item, which reaches the owner's device live. Two users sign up
 * and in with Amplify Auth, each in their own app process (test/helpers/datastore-user-pool-device.cjs);
 * the real `@aws-sdk/client-cognito-identity-provider` puts one of them in `Admin`. Binds a port.
 */
import { AdminAddUserToGroupCommand, CreateGroupCommand, type CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { materializeStoredJson } from "../../core/shown-value.js";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { freshAmplifyForThisFile } from "../helpers/amplify-reset.js";
import { startUserPoolDevice, type Device } from "../helpers/datastore-device.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { codeFromLog, cognitoClient, userPoolsConfig } from "../helpers/user-pool-clients.js";

/**
 * The app's schema.graphql (the device's codegen models cover all four). Report also grants
 * signed-in users read here, so that no subscription of Bob's is refused: aws-amplify closes the
 * socket on a refused one, and Bob's live events are the point.
 */
const SCHEMA = `
  type Diary @model @auth(rules: [{ allow: owner }]) { id: ID! entry: String! }
  type Report @model @auth(rules: [{ allow: groups, groups: ["Admin"] }, { allow: private, operations: [read] }]) { id: ID! title: String! }
  type Notice @model @auth(rules: [{ allow: public, operations: [read] }, { allow: owner, operations: [create, read] }]) { id: ID! body: String! }
  type Memo @model @auth(rules: [{ allow: owner }, { allow: private, operations: [read] }, { allow: groups, groups: ["Admin"] }]) { id: ID! text: String! }
`;
const DEVELOPER = { accessKeyId: "AKIADATASTOREOWNERRULES", secretAccessKey: "datastore-owner-rules-developer-secret-01" };
const PASSWORD = "Correct-horse-9";
freshAmplifyForThisFile();

describe("DataStore on a model with an owner rule beside private and groups rules", { timeout: 60_000 }, () => {
  let server: TestServer;
  let developer: CognitoIdentityProviderClient;
  let alice: Device; // in Admin
  let bob: Device;

  const signUpAndIn = async (app: Device, username: string, groups: string[] = []) => {
    await app.run("signUp", { username, password: PASSWORD, email: `${username}@example.com` });
    const code = await codeFromLog(server.dataDir, username, "SIGN_UP");
    if (code === null) throw new Error(`no sign-up code was written for ${username}`);
    await app.run("confirmSignUp", { username, code });
    for (const group of groups) await developer.send(new AdminAddUserToGroupCommand({ UserPoolId: "local_default", Username: username, GroupName: group }));
    expect(await app.run("signIn", { username, password: PASSWORD })).toMatchObject({ isSignedIn: true });
  };
  /** The stored Memo `id` of the pool's shared data, or undefined. */
  const storedMemo = async (id: string) => {
    const page = await server.storage.datasets.readRecords("_shared:default", "model-Memo", { sinceSyncCount: 0, limit: 1000 });
    const record = page.records.find((candidate) => candidate.key === id);
    return record && (materializeStoredJson(record.value) as Record<string, unknown>);
  };
  const memoErrors = async (app: Device) => (await app.run("errors")).filter((error: any) => error.model === "Memo");

  beforeAll(async () => {
    const identityPool = poolSettingsSchema.parse({ id: "default", developerCredentials: DEVELOPER, models: { schema: SCHEMA, conflictHandler: "AUTOMERGE" } });
    server = await startTestServer({ config: { userPools: userPoolsConfig("http://user-pool.test"), pools: [identityPool] } });
    developer = cognitoClient(server.url, DEVELOPER);
    await developer.send(new CreateGroupCommand({ UserPoolId: "local_default", GroupName: "Admin" }));
    const endpoint = `${server.url}/appsync/default/graphql`;
    [alice, bob] = await Promise.all([startUserPoolDevice(endpoint, `${server.url}/aws/cognito-idp`), startUserPoolDevice(endpoint, `${server.url}/aws/cognito-idp`)]);
    await signUpAndIn(alice, "alice", ["Admin"]);
    await signUpAndIn(bob, "bob");
    await Promise.all([alice.run("start"), bob.run("start")]);
  }, 90_000);
  afterAll(async () => {
    alice?.kill();
    bob?.kill();
    developer?.destroy();
    await server?.close();
  });

  it("lets another signed-in user sync the owner's items through the private read rule, and refuses that user's update of them", async () => {
    const memo = await alice.run("save", { model: "Memo", fields: { text: "alice's plan" } });
    await expect.poll(async () => (await storedMemo(memo.id))?.["text"], { timeout: 15_000 }).toBe("alice's plan");
    // Bob's subscription names him as owner (DataStore's choice for an owner he is not in a group
    // for), so Alice's item reaches him by sync: his next start's delta sync.
    await bob.run("stop");
    await bob.run("start");
    await expect.poll(() => bob.run("query", { model: "Memo", id: memo.id }), { timeout: 15_000 }).toMatchObject({ text: "alice's plan", _version: expect.any(Number) });

    expect(await memoErrors(bob)).toEqual([]);
    await bob.run("update", { model: "Memo", id: memo.id, fields: { text: "bob's plan now" } });
    await expect.poll(() => memoErrors(bob), { timeout: 15_000 }).toEqual([expect.objectContaining({ errorType: "Unauthorized" })]);
    expect(await storedMemo(memo.id)).toMatchObject({ text: "alice's plan" });
  });

  it("lets an Admin of the groups rule update another owner's item: the item keeps its owner and the owner's device sees the change live", async () => {
    const memo = await bob.run("save", { model: "Memo", fields: { text: "draft" } });
    // Alice is in Admin: DataStore subscribes her without an owner argument, so Bob's item reaches her live.
    await expect.poll(() => alice.run("query", { model: "Memo", id: memo.id }), { timeout: 15_000 }).toMatchObject({ text: "draft", _version: expect.any(Number) });
    const bobsOwner = (await storedMemo(memo.id))?.["owner"];
    expect(bobsOwner).toEqual(expect.stringMatching(/:/));

    await alice.run("update", { model: "Memo", id: memo.id, fields: { text: "approved" } });
    await expect.poll(() => bob.run("query", { model: "Memo", id: memo.id }), { timeout: 15_000 }).toMatchObject({ text: "approved" });
    // It came live over the owner subscription DataStore opened for Bob: the only update of his item is Alice's.
    const updateFrames = async () => ((await bob.run("wire")).data as { field: string; id: string }[]).filter((frame) => frame.field === "onUpdateMemo").map((frame) => frame.id);
    expect(await updateFrames()).toContain(memo.id);
    expect((await bob.run("wire")).refusedStarts).toEqual([]);
    expect(await storedMemo(memo.id)).toMatchObject({ text: "approved", owner: bobsOwner });
    expect(await memoErrors(alice)).toEqual([]);
  });
});
