/**
 * The model API's delta sync (`sync<Ms>` with `lastSync`), in-process with an injected clock: it
 * answers from the records changed since `lastSync` (a pull after the sync count that time maps
 * to), pages them with nextToken as DataStore expects, and never misses a change made at the
 * millisecond of `lastSync` or within the overlap before it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { DELTA_OVERLAP_MS } from "../../server/models/model-sync.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

const ADMIN_TOKEN = "admin-token-for-appsync-delta-0123456789";
const SCHEMA = /* GraphQL */ `type Todo @model @auth(rules: [{ allow: public }]) { id: ID! title: String! done: Boolean }`;
const SELECTION = "id title done createdAt updatedAt _version _lastChangedAt _deleted";
const SYNC_TODOS = `query operation($limit: Int, $nextToken: String, $lastSync: AWSTimestamp, $filter: ModelTodoFilterInput) {
  syncTodos(limit: $limit, nextToken: $nextToken, lastSync: $lastSync, filter: $filter) { items { ${SELECTION} } nextToken startedAt }
}`;
const CREATE_TODO = `mutation operation($input: CreateTodoInput!) { createTodo(input: $input) { ${SELECTION} } }`;
const UPDATE_TODO = `mutation operation($input: UpdateTodoInput!, $condition: ModelTodoConditionInput) { updateTodo(input: $input, condition: $condition) { ${SELECTION} } }`;
const DELETE_TODO = `mutation operation($input: DeleteTodoInput!, $condition: ModelTodoConditionInput) { deleteTodo(input: $input, condition: $condition) { ${SELECTION} } }`;
const HOUR_MS = 60 * 60 * 1000;

interface Item {
  id: string;
  title: string;
  _version: number;
  _lastChangedAt: number;
  _deleted: boolean;
}
interface Page {
  items: Item[];
  nextToken: string | null;
  startedAt: number;
}

// Each test commits up to ten model writes, each a transaction of its own (an fsync on PostgreSQL),
// and the file runs beside others on a busy machine: more than vitest's default 5 s a test.
describe("the model API's delta sync", { timeout: 30_000 }, () => {
  let server: InProcessServer;
  let apiKey: string;
  let now = Date.UTC(2026, 11, 6, 12, 0, 0);

  const call = async (query: string, variables: Record<string, unknown>) => {
    const response = await server.fetch("/appsync/app/graphql", {
      method: "POST",
      headers: { "content-type": "application/json; charset=UTF-8", "x-api-key": apiKey },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    return body.data;
  };
  const create = async (id: string): Promise<Item> => (await call(CREATE_TODO, { input: { id, title: id } })).createTodo;
  const syncPage = async (lastSync: number, limit: number, nextToken: string | null = null): Promise<Page> =>
    (await call(SYNC_TODOS, { limit, nextToken, lastSync, filter: null })).syncTodos;
  /** Every page of one sync, as DataStore reads them: until nextToken is exactly null. */
  const syncAll = async (lastSync: number, limit: number): Promise<Page[]> => {
    const pages = [await syncPage(lastSync, limit)];
    while (pages.at(-1)!.nextToken !== null) {
      if (pages.length > 100) throw new Error("the sync never ended");
      pages.push(await syncPage(lastSync, limit, pages.at(-1)!.nextToken));
    }
    return pages;
  };
  const ids = (pages: Page[]) => pages.flatMap((page) => page.items.map((item) => item.id));

  beforeAll(async () => {
    const pools = [poolSettingsSchema.parse({ id: "app", models: { schema: SCHEMA, conflictHandler: "AUTOMERGE" } })];
    server = await startInProcessServer({ config: { pools, adminToken: ADMIN_TOKEN }, now: () => now });
    const issued = await server.gql(`mutation { createApiKey(identityPoolId: "app", expiresInDays: 365) { apiKey } }`, {}, ADMIN_TOKEN);
    expect(issued.errors).toBeUndefined();
    apiKey = issued.data.createApiKey.apiKey;
  });
  afterAll(() => server?.close());

  it("answers one change among many in one page, even a page of one item", async () => {
    await Promise.all(Array.from({ length: 8 }, (_, index) => create(`many-${index}`)));
    now += HOUR_MS;
    const base = await syncAll(0, 1000);
    expect(ids(base)).toHaveLength(8);
    now += 60_000;
    const changed = base[0]!.items.find((item) => item.id === "many-5")!;
    await call(UPDATE_TODO, { input: { id: "many-5", title: "changed", _version: changed._version }, condition: null });

    // A delta that paged through the model would answer empty pages with a nextToken first.
    const delta = await syncPage(base[0]!.startedAt, 1);
    expect(delta.items.map((item) => [item.id, item.title])).toEqual([["many-5", "changed"]]);
    expect(delta.nextToken).toBeNull();
    expect(delta.startedAt).toBe(now);
  });

  it("answers a delta with nothing changed as one empty last page", async () => {
    now += HOUR_MS;
    const lastSync = (await syncPage(0, 1000)).startedAt;
    now += 60_000;
    expect(await syncPage(lastSync, 100)).toEqual({ items: [], nextToken: null, startedAt: now });
  });

  it("re-sends a change made at the millisecond of lastSync and within the overlap before it, not older ones", async () => {
    now += HOUR_MS;
    const lastSync = now;
    now = lastSync - DELTA_OVERLAP_MS - 1;
    await create("edge-older");
    now = lastSync - DELTA_OVERLAP_MS;
    await create("edge-overlap");
    now = lastSync;
    const base = await syncAll(0, 1000);
    expect(base[0]!.startedAt).toBe(lastSync);
    // Stamped at the same millisecond as the sync that read before it committed.
    await create("edge-same-ms");

    now = lastSync + 60_000;
    const delta = await syncAll(lastSync, 100);
    expect(ids(delta).sort()).toEqual(["edge-overlap", "edge-same-ms"]);
  });

  it("pages a delta with nextToken: the same startedAt on every page, deletions as _deleted, the last token null", async () => {
    now += HOUR_MS;
    const created = await Promise.all(["page-a", "page-b", "page-c", "page-d", "page-e"].map(create));
    now += HOUR_MS;
    const lastSync = (await syncPage(0, 1000)).startedAt;
    now += 60_000;
    await call(UPDATE_TODO, { input: { id: "page-a", done: true, _version: created[0]!._version }, condition: null });
    await call(DELETE_TODO, { input: { id: "page-c", _version: created[2]!._version }, condition: null });
    await create("page-new-1");
    await create("page-new-2");

    now += 1000;
    const first = await syncPage(lastSync, 2);
    expect(first.items).toHaveLength(2);
    expect(first.nextToken).toEqual(expect.any(String));
    // A change committed between two pages arrives on a later one.
    now += 1000;
    await call(UPDATE_TODO, { input: { id: "page-e", title: "between pages", _version: created[4]!._version }, condition: null });
    const pages = [first];
    while (pages.at(-1)!.nextToken !== null) pages.push(await syncPage(lastSync, 2, pages.at(-1)!.nextToken));

    expect(new Set(pages.map((page) => page.startedAt))).toEqual(new Set([first.startedAt]));
    expect(ids(pages).sort()).toEqual(["page-a", "page-c", "page-e", "page-new-1", "page-new-2"]);
    const items = pages.flatMap((page) => page.items);
    expect(items.find((item) => item.id === "page-c")).toMatchObject({ _deleted: true });
    expect(items.find((item) => item.id === "page-e")).toMatchObject({ title: "between pages", _deleted: false });
  });
});
