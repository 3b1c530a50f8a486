/**
 * Unmodified Amplify DataStore (aws-amplify 6.22, @aws-amplify/datastore 5.1) in `userPool` mode
 * against a model with an owner rule beside a private read rule and a groups rule, as AppSync
 * serves one: another signed-in user syncs the owner's items and cannot change them, and an
 * `Admin` updates another owner's item, which reaches the owner's device live. Two users sign up
 * and in with Amplify Auth, each in their own app process (test/helpers/datastore-user-pool-device.cjs);
 * the real `@aws-sdk/client-cognito-identity-provider` puts one of them in `Admin`. Binds a port.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAmplifyForThisFile } from "../helpers/amplify-reset.js";
import type { Device } from "../helpers/datastore-device.js";
import { startUserPoolPair, type UserPoolPair } from "../helpers/datastore-user-pool-pair.js";
import type { TestServer } from "../helpers/server.js";
import { storedModelItem } from "../helpers/stored-model-item.js";

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
freshAmplifyForThisFile();

describe("DataStore on a model with an owner rule beside private and groups rules", { timeout: 60_000 }, () => {
  let server: TestServer;
  let pair: UserPoolPair;
  let alice: Device; // in Admin
  let bob: Device;

  /** The stored Memo `id` of the pool's shared data, or null. */
  const storedMemo = (id: string) => storedModelItem(server.storage, "_shared:default", "Memo", id);
  const memoErrors = async (app: Device) => (await app.run("errors")).filter((error: any) => error.model === "Memo");

  beforeAll(async () => {
    pair = await startUserPoolPair(SCHEMA);
    ({ server, alice, bob } = pair);
  }, 90_000);
  afterAll(async () => pair?.close());

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
