/**
 * Unmodified Amplify DataStore (aws-amplify 6.22, @aws-amplify/datastore 5.1) configured as an app
 * whose API uses Cognito user pools (`aws_appsync_authenticationType: "AMAZON_COGNITO_USER_POOLS"`),
 * against syncpool's model API and built-in user pool: two users sign up and in with Amplify Auth,
 * each in their own app process (test/helpers/datastore-user-pool-device.cjs), the real
 * `@aws-sdk/client-cognito-identity-provider` puts one of them in the `Admin` group. Owner items
 * sync and are observed live by their owner only, the groups model is its members' alone, and a
 * rule without `update` refuses the update with `Unauthorized`. Binds a port: Amplify, the SDK and
 * the realtime sockets send their own requests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { materializeStoredJson } from "../../core/shown-value.js";
import { freshAmplifyForThisFile } from "../helpers/amplify-reset.js";
import type { Device } from "../helpers/datastore-device.js";
import { startUserPoolPair, type UserPoolPair } from "../helpers/datastore-user-pool-pair.js";
import type { TestServer } from "../helpers/server.js";

/** The app's schema.graphql; the device holds what codegen makes of it. */
const SCHEMA = `
  type Diary @model @auth(rules: [{ allow: owner }]) { id: ID! entry: String! }
  type Report @model @auth(rules: [{ allow: groups, groups: ["Admin"] }]) { id: ID! title: String! }
  type Notice @model @auth(rules: [{ allow: public, operations: [read] }, { allow: owner, operations: [create, read] }]) { id: ID! body: String! }
  type Memo @model @auth(rules: [{ allow: owner }, { allow: private, operations: [read] }, { allow: groups, groups: ["Admin"] }]) { id: ID! text: String! }
`;
freshAmplifyForThisFile();

describe("DataStore with AMAZON_COGNITO_USER_POOLS against syncpool's user pool", { timeout: 60_000 }, () => {
  let server: TestServer;
  let pair: UserPoolPair;
  let alice: Device;
  let bob: Device;
  const identityOf = new Map<string, string>();

  /** The stored items of `model` in `owner`'s data (an identity id, or `_shared:default`). */
  const stored = async (owner: string, model: string) => {
    const page = await server.storage.datasets.readRecords(owner, `model-${model}`, { sinceSyncCount: 0, limit: 1000 });
    return page.records.map((record): Record<string, unknown> => ({ id: record.key, ...(materializeStoredJson(record.value) as Record<string, unknown>) }));
  };

  beforeAll(async () => {
    pair = await startUserPoolPair(SCHEMA);
    ({ server, alice, bob } = pair);
    for (const app of [alice, bob]) for (const model of ["Diary", "Report", "Notice"]) await app.run("observe", { model });
  }, 90_000);
  afterAll(async () => pair?.close());

  it("syncs an owner's items to the server under its identity and observes them live, and another user sees none of them", async () => {
    const saved = await alice.run("save", { model: "Diary", fields: { entry: "dear diary" } });
    // The server stamps the owner with Alice's identity; her app takes it from the answer.
    await expect.poll(() => alice.run("query", { model: "Diary", id: saved.id }), { timeout: 15_000 }).toMatchObject({ entry: "dear diary", owner: expect.stringMatching(/:/) });
    const aliceIdentity = (await alice.run("query", { model: "Diary", id: saved.id })).owner as string;
    identityOf.set("alice", aliceIdentity);
    expect(await stored(aliceIdentity, "Diary")).toMatchObject([{ id: saved.id, entry: "dear diary", owner: aliceIdentity }]);

    const bobs = await bob.run("save", { model: "Diary", fields: { entry: "bob's page" } });
    await expect.poll(async () => (await bob.run("observed", { model: "Diary" })).some((event: any) => event.element.id === bobs.id && event.element.owner), { timeout: 15_000 }).toBe(true);
    // Bob's own item came back to him; Alice's never reached him, nor his her.
    expect(await bob.run("query", { model: "Diary" })).toMatchObject([{ id: bobs.id }]);
    expect((await bob.run("observed", { model: "Diary" })).map((event: any) => event.element.id)).not.toContain(saved.id);
    expect((await alice.run("observed", { model: "Diary" })).map((event: any) => event.element.id)).not.toContain(bobs.id);
    // Alice's item came back to her over the owner subscription DataStore opened with her
    // cognito:username. (Bob's socket is no witness: his Report subscriptions are refused, and
    // aws-amplify closes a socket on an Unauthorized subscription to reconnect, as against AppSync.)
    const framesOf = async (app: Device) => ((await app.run("wire")).data as { field: string; id: string }[]).filter((frame) => frame.field === "onCreateDiary").map((frame) => frame.id);
    await expect.poll(() => framesOf(alice), { timeout: 15_000 }).toEqual([saved.id]);
    expect(await framesOf(bob)).not.toContain(saved.id);
  });

  it("keeps the groups model to the group's members: a member's item syncs, a non-member's sync, subscription and write are refused", async () => {
    const report = await alice.run("save", { model: "Report", fields: { title: "quarterly" } });
    await expect.poll(async () => (await stored("_shared:default", "Report")).map((item) => item.id), { timeout: 15_000 }).toContain(report.id);

    // Bob's base sync of Report and its three subscriptions were refused when his app started.
    const reportErrors = async () => (await bob.run("errors")).filter((error: any) => error.model === "Report");
    await expect.poll(reportErrors, { timeout: 15_000 }).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ errorType: "Unauthorized", process: "sync", operation: "syncReports" }),
        ...["Create", "Update", "Delete"].map((operation) =>
          expect.objectContaining({ errorType: "Unauthorized", process: "subscribe", operation, message: expect.stringContaining(`Not Authorized to access on${operation}Report on type Subscription`) }),
        ),
      ]),
    );
    // The refused write's report (aws-amplify may also reconnect the socket and be refused the subscriptions again).
    const writeErrors = async () => (await reportErrors()).filter((error: any) => error.message === "Unauthorized");
    expect(await writeErrors()).toEqual([]);
    const attempt = await bob.run("save", { model: "Report", fields: { title: "not mine to write" } });
    await expect.poll(writeErrors, { timeout: 15_000 }).toEqual([expect.objectContaining({ errorType: "Unauthorized", process: "sync" })]);
    expect((await stored("_shared:default", "Report")).map((item) => item.id)).not.toContain(attempt.id);
    expect(await bob.run("query", { model: "Report", id: report.id })).toBeNull();
    // On the wire: Bob's Report subscriptions were refused as Unauthorized, Alice's none.
    const bobRefused: string[] = (await bob.run("wire")).refusedStarts;
    expect(bobRefused.length).toBeGreaterThanOrEqual(3);
    expect(new Set(bobRefused)).toEqual(new Set(["Unauthorized"]));
    expect((await alice.run("wire")).refusedStarts).toEqual([]);
  });

  it("refuses an update that the model's rules grant nobody with Unauthorized, and the server's item keeps its value", async () => {
    const notice = await alice.run("save", { model: "Notice", fields: { body: "office closed friday" } });
    // An owner rule beside a public one: the items are the pool's shared data, naming their owner.
    await expect.poll(async () => (await stored("_shared:default", "Notice")).map((item) => [item.body, item.owner]), { timeout: 15_000 }).toEqual([["office closed friday", identityOf.get("alice")]]);
    await expect.poll(() => alice.run("query", { model: "Notice", id: notice.id }), { timeout: 15_000 }).toMatchObject({ _version: expect.any(Number) });

    const noticeErrors = async () => (await alice.run("errors")).filter((error: any) => error.model === "Notice");
    expect(await noticeErrors()).toEqual([]);
    await alice.run("update", { model: "Notice", id: notice.id, fields: { body: "office open friday" } });
    // DataStore hands the refused mutation to its errorHandler and drops it (it does not retry Unauthorized).
    await expect.poll(noticeErrors, { timeout: 15_000 }).toEqual([expect.objectContaining({ errorType: "Unauthorized" })]);
    expect((await stored("_shared:default", "Notice")).map((item) => item.body)).toEqual(["office closed friday"]);
    // Bob is admitted by the owner rule alone (the public rule is the API key's): he has only his own.
    expect(await bob.run("query", { model: "Notice" })).toEqual([]);
  });
});
