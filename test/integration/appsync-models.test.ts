/**
 * The AppSync-style model API over HTTP, in-process: the generated operations DataStore sends
 * (documents as DataStore prints them), versions, soft deletes, paging, both conflict handlers,
 * API keys, and that model items are JSON records syncpool's own sync reads.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

const ADMIN_TOKEN = "admin-token-for-appsync-models-0123456789";
const SCHEMA = /* GraphQL */ `
  enum Priority { LOW HIGH }
  type Tag { label: String! }
  type Todo @model @auth(rules: [{ allow: public }]) {
    id: ID!
    title: String!
    done: Boolean
    priority: Priority
    tags: [Tag]
  }
  type Note @model @auth(rules: [{ allow: public }]) { id: ID! content: String! pinned: Boolean }
  type Secret @model @auth(rules: [{ allow: owner }]) { id: ID! text: String }
  type Board @model @auth(rules: [{ allow: private }]) { id: ID! name: String }
`;
const SELECTION = "id title done priority tags { label } createdAt updatedAt _version _lastChangedAt _deleted";
const NOTE_SELECTION = "id content pinned createdAt updatedAt _version _lastChangedAt _deleted";

const SYNC_TODOS = `query operation($limit: Int, $nextToken: String, $lastSync: AWSTimestamp, $filter: ModelTodoFilterInput) {
  syncTodos(limit: $limit, nextToken: $nextToken, lastSync: $lastSync, filter: $filter) { items { ${SELECTION} } nextToken startedAt }
}`;
const CREATE_TODO = `mutation operation($input: CreateTodoInput!) { createTodo(input: $input) { ${SELECTION} } }`;
const UPDATE_TODO = `mutation operation($input: UpdateTodoInput!, $condition: ModelTodoConditionInput) { updateTodo(input: $input, condition: $condition) { ${SELECTION} } }`;
const DELETE_TODO = `mutation operation($input: DeleteTodoInput!, $condition: ModelTodoConditionInput) { deleteTodo(input: $input, condition: $condition) { ${SELECTION} } }`;
const UPDATE_NOTE = `mutation operation($input: UpdateNoteInput!, $condition: ModelNoteConditionInput) { updateNote(input: $input, condition: $condition) { ${NOTE_SELECTION} } }`;
const CREATE_NOTE = `mutation operation($input: CreateNoteInput!) { createNote(input: $input) { ${NOTE_SELECTION} } }`;

describe("the AppSync-style model API", () => {
  let server: InProcessServer;
  let apiKey: string;
  let now = Date.UTC(2026, 11, 6, 12, 0, 0);

  const call = async (query: string, variables: Record<string, unknown>, key: string | null = apiKey, authorization?: string) => {
    const response = await server.fetch("/appsync/app/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json; charset=UTF-8",
        ...(key === null ? {} : { "x-api-key": key }),
        ...(authorization === undefined ? {} : { authorization }),
      },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, errorType: response.headers.get("x-amzn-errortype"), body: (await response.json()) as { data?: any; errors?: any[] } };
  };

  beforeAll(async () => {
    const models = { schema: SCHEMA, conflictHandler: "AUTOMERGE", conflictHandlers: { Note: "OPTIMISTIC_CONCURRENCY" } };
    const pools = [poolSettingsSchema.parse({ id: "app", models })];
    server = await startInProcessServer({ config: { pools, adminToken: ADMIN_TOKEN }, now: () => now });
    const issued = await server.gql(`mutation { createApiKey(identityPoolId: "app", expiresInDays: 7) { apiKey expiresAt } }`, {}, ADMIN_TOKEN);
    expect(issued.errors).toBeUndefined();
    apiKey = issued.data.createApiKey.apiKey;
  });
  afterAll(() => server?.close());

  it("creates an item with a server-owned version, server timestamps and the fields as sent", async () => {
    const { body } = await call(CREATE_TODO, { input: { id: "t-1", title: "first", done: false, priority: "HIGH", tags: [{ label: "a" }] } });
    expect(body.errors).toBeUndefined();
    expect(body.data.createTodo).toMatchObject({ id: "t-1", title: "first", done: false, priority: "HIGH", tags: [{ label: "a" }], _deleted: false, _lastChangedAt: now });
    expect(body.data.createTodo._version).toBeGreaterThan(0);
    expect(body.data.createTodo.createdAt).toBe(new Date(now).toISOString());
  });

  it("base-syncs every item, then delta-syncs only what changed since startedAt", async () => {
    now += 60_000;
    const base = await call(SYNC_TODOS, { limit: 100, nextToken: null, lastSync: 0, filter: null });
    expect(base.body.data.syncTodos).toMatchObject({ nextToken: null, startedAt: now });
    expect(base.body.data.syncTodos.items.map((item: { id: string }) => item.id)).toEqual(["t-1"]);
    const lastSync = base.body.data.syncTodos.startedAt as number;

    now += 60_000;
    await call(CREATE_TODO, { input: { id: "t-2", title: "second" } });
    const delta = await call(SYNC_TODOS, { limit: 100, nextToken: null, lastSync, filter: null });
    expect(delta.body.data.syncTodos.items.map((item: { id: string }) => item.id)).toEqual(["t-2"]);
    expect(delta.body.data.syncTodos.nextToken).toBeNull();
  });

  it("pages by limit with nextToken, the same startedAt on every page, ending with null", async () => {
    const first = await call(SYNC_TODOS, { limit: 1, nextToken: null, lastSync: 0, filter: null });
    const token = first.body.data.syncTodos.nextToken;
    expect(first.body.data.syncTodos.items).toHaveLength(1);
    expect(token).toEqual(expect.any(String));
    now += 1000;
    const second = await call(SYNC_TODOS, { limit: 1, nextToken: token, lastSync: 0, filter: null });
    expect(second.body.data.syncTodos.items).toHaveLength(1);
    expect(second.body.data.syncTodos.startedAt).toBe(first.body.data.syncTodos.startedAt);
    // Two items: the second page is the last.
    expect(second.body.data.syncTodos.nextToken).toBeNull();
    expect([...first.body.data.syncTodos.items, ...second.body.data.syncTodos.items].map((item: { id: string }) => item.id)).toEqual(["t-1", "t-2"]);
  });

  it("syncs only the items a sync expression's filter matches", async () => {
    const { body } = await call(SYNC_TODOS, { limit: 100, nextToken: null, lastSync: 0, filter: { and: [{ priority: { eq: "HIGH" } }] } });
    expect(body.data.syncTodos.items.map((item: { id: string }) => item.id)).toEqual(["t-1"]);
  });

  it("under AUTOMERGE keeps both of two updates made from the same version to different fields", async () => {
    const created = (await call(CREATE_TODO, { input: { id: "t-merge", title: "draft", done: false } })).body.data.createTodo;
    const one = await call(UPDATE_TODO, { input: { id: "t-merge", title: "final", _version: created._version }, condition: null });
    const two = await call(UPDATE_TODO, { input: { id: "t-merge", done: true, _version: created._version }, condition: null });
    expect(one.body.errors).toBeUndefined();
    expect(two.body.errors).toBeUndefined();
    expect(two.body.data.updateTodo).toMatchObject({ title: "final", done: true });
    expect(two.body.data.updateTodo._version).toBeGreaterThan(one.body.data.updateTodo._version);
  });

  it("under OPTIMISTIC_CONCURRENCY answers a stale version with ConflictUnhandled and the server's item in errors[0].data", async () => {
    const created = (await call(CREATE_NOTE, { input: { id: "n-1", content: "v1" } })).body.data.createNote;
    const fresh = await call(UPDATE_NOTE, { input: { id: "n-1", content: "v2", _version: created._version }, condition: null });
    expect(fresh.body.errors).toBeUndefined();
    const stale = await call(UPDATE_NOTE, { input: { id: "n-1", content: "stale", _version: created._version }, condition: null });
    expect(stale.status).toBe(200);
    expect(stale.body.data).toEqual({ updateNote: null });
    expect(stale.body.errors).toEqual([
      {
        path: ["updateNote"],
        data: expect.objectContaining({ id: "n-1", content: "v2", _version: fresh.body.data.updateNote._version, _deleted: false }),
        errorType: "ConflictUnhandled",
        errorInfo: null,
        locations: [expect.objectContaining({ line: 1 })],
        message: "Conflict resolver rejects mutation.",
      },
    ]);
  });

  it("refuses an update whose condition does not hold, changing nothing", async () => {
    const before = (await call(SYNC_TODOS, { limit: 100, nextToken: null, lastSync: 0, filter: { id: { eq: "t-1" } } })).body.data.syncTodos.items[0];
    const { body } = await call(UPDATE_TODO, { input: { id: "t-1", title: "no", _version: before._version }, condition: { done: { eq: true } } });
    expect(body.errors?.[0]).toMatchObject({ errorType: "DynamoDB:ConditionalCheckFailedException" });
    const after = (await call(SYNC_TODOS, { limit: 100, nextToken: null, lastSync: 0, filter: { id: { eq: "t-1" } } })).body.data.syncTodos.items[0];
    expect(after).toEqual(before);
  });

  it("soft-deletes: the tombstone keeps its fields, has _deleted and a new version, and syncs", async () => {
    const before = (await call(SYNC_TODOS, { limit: 100, nextToken: null, lastSync: 0, filter: { id: { eq: "t-2" } } })).body.data.syncTodos.items[0];
    const { body } = await call(DELETE_TODO, { input: { id: "t-2", _version: before._version }, condition: null });
    expect(body.data.deleteTodo).toMatchObject({ id: "t-2", title: "second", _deleted: true });
    expect(body.data.deleteTodo._version).toBeGreaterThan(before._version);
    const synced = await call(SYNC_TODOS, { limit: 100, nextToken: null, lastSync: 0, filter: { id: { eq: "t-2" } } });
    expect(synced.body.data.syncTodos.items).toEqual([body.data.deleteTodo]);
  });

  it("stores items as JSON records in the pool's shared dataset model-<Name>", async () => {
    const page = await server.storage.datasets.readRecords("_shared:app", "model-Todo", { sinceSyncCount: 0, limit: 100 });
    expect(page.records.map((record) => record.key).sort()).toEqual(["t-1", "t-2", "t-merge"]);
    expect(page.records.every((record) => record.kind === "JSON")).toBe(true);
  });

  it("answers a nextToken it never gave out with BadRequest, not a crash", async () => {
    const { body } = await call(SYNC_TODOS, { limit: 1, nextToken: "garbage", lastSync: 0, filter: null });
    expect(body.errors?.[0]).toMatchObject({ errorType: "BadRequest", message: "nextToken is not one this server gave out" });
  });

  it("answers a subscription over HTTP with a clear error, as realtime is not served yet", async () => {
    const { status, body } = await call(`subscription operation { onCreateTodo { id } }`, {});
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({ errorType: "UnsupportedOperation" });
  });

  it("answers a document the schema does not allow with 400 and a ValidationError", async () => {
    const { status, body } = await call(`query operation { syncTodos(nope: 1) { items { id } } }`, {});
    expect(status).toBe(400);
    expect(body).toEqual({ errors: [expect.objectContaining({ errorType: "ValidationError", message: 'Unknown argument "nope" on field "Query.syncTodos".' })] });
  });

  it("answers getTodo with the item, and null for an id never stored", async () => {
    const query = `query operation($id: ID!) { getTodo(id: $id) { ${SELECTION} } }`;
    expect((await call(query, { id: "t-1" })).body.data.getTodo).toMatchObject({ id: "t-1", title: "first" });
    expect((await call(query, { id: "never" })).body).toEqual({ data: { getTodo: null } });
  });

  it("refuses requests without a key, with another pool's or a forged key, as UnauthorizedException", async () => {
    for (const key of [null, "da2-nonsense", `${apiKey.slice(0, -2)}xx`]) {
      const answer = await call(SYNC_TODOS, { limit: 1, nextToken: null, lastSync: 0, filter: null }, key);
      expect(answer.status).toBe(401);
      expect(answer.errorType).toBe("UnauthorizedException");
    }
  });

  it("refuses an API key on a model without a public rule with errorType Unauthorized", async () => {
    const { body } = await call(`query operation($id: ID!) { getSecret(id: $id) { id text _version _lastChangedAt _deleted } }`, { id: "s" });
    expect(body.data).toEqual({ getSecret: null });
    expect(body.errors?.[0]).toMatchObject({ errorType: "Unauthorized", message: "Not Authorized to access getSecret on type Query" });
  });

  describe("owner models with a syncpool identity token in Authorization", () => {
    const SECRET = "id text owner createdAt updatedAt _version _lastChangedAt _deleted";
    const CREATE_SECRET = `mutation operation($input: CreateSecretInput!) { createSecret(input: $input) { ${SECRET} } }`;
    const SYNC_SECRETS = `query operation($limit: Int, $nextToken: String, $lastSync: AWSTimestamp, $filter: ModelSecretFilterInput) {
      syncSecrets(limit: $limit, nextToken: $nextToken, lastSync: $lastSync, filter: $filter) { items { ${SECRET} } nextToken startedAt }
    }`;

    it("keeps an owner's items in the owner's own dataset, stamped with its identity id, out of other identities' sync", async () => {
      const alice = await server.signInGuest("app");
      const bob = await server.signInGuest("app");
      const created = await call(CREATE_SECRET, { input: { id: "s-1", text: "alice's" } }, null, alice.token);
      expect(created.body.errors).toBeUndefined();
      expect(created.body.data.createSecret).toMatchObject({ id: "s-1", text: "alice's", owner: alice.identityId });
      const page = await server.storage.datasets.readRecords(alice.identityId, "model-Secret", { sinceSyncCount: 0, limit: 10 });
      expect(page.records.map((record) => record.key)).toEqual(["s-1"]);

      const mine = await call(SYNC_SECRETS, { limit: 100, nextToken: null, lastSync: 0, filter: null }, null, `Bearer ${alice.token}`);
      expect(mine.body.data.syncSecrets.items.map((item: { id: string }) => item.id)).toEqual(["s-1"]);
      const theirs = await call(SYNC_SECRETS, { limit: 100, nextToken: null, lastSync: 0, filter: null }, null, bob.token);
      expect(theirs.body.data.syncSecrets.items).toEqual([]);
    });

    it("refuses an item written for another owner, and a guest on a private model, with errorType Unauthorized", async () => {
      const alice = await server.signInGuest("app");
      const forged = await call(CREATE_SECRET, { input: { id: "s-2", text: "x", owner: "someone-else" } }, null, alice.token);
      expect(forged.body.errors?.[0]).toMatchObject({ errorType: "Unauthorized", message: "Not Authorized to access createSecret on type Mutation" });
      const board = await call(`mutation operation($input: CreateBoardInput!) { createBoard(input: $input) { id } }`, { input: { name: "b" } }, null, alice.token);
      expect(board.body.errors?.[0]).toMatchObject({ errorType: "Unauthorized" });
    });

    it("answers a token that does not verify with 401 UnauthorizedException", async () => {
      const answer = await call(SYNC_SECRETS, { limit: 1, nextToken: null, lastSync: 0, filter: null }, null, "not-a-token");
      expect(answer.status).toBe(401);
      expect(answer.errorType).toBe("UnauthorizedException");
    });
  });

  it("answers an expired key with 401", async () => {
    now += 8 * 24 * 60 * 60 * 1000;
    const answer = await call(SYNC_TODOS, { limit: 1, nextToken: null, lastSync: 0, filter: null });
    expect(answer.status).toBe(401);
    now -= 8 * 24 * 60 * 60 * 1000;
  });
});
