/**
 * `syncpool models import` run as an operator runs it, a child process on a running server's data
 * directory: a DynamoDB export's items become the model's items through the commit path (the
 * stream has their events, DataStore's sync answers them with fresh versions), and a bad line
 * imports nothing. Two child processes.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { poolOwnerId } from "../../server/identity/shared-access.js";
import { runCli } from "../helpers/cli.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

const ADMIN_TOKEN = "admin-token-for-models-cli-0123456789abc";
const SCHEMA = `type Todo @model @auth(rules: [{ allow: public }]) { id: ID! title: String! done: Boolean tags: [String] }
type Memo @model @auth(rules: [{ allow: owner }, { allow: public, operations: [read] }]) { id: ID! text: String! owner: String }
type Diary @model @auth(rules: [{ allow: owner }]) { id: ID! entry: String! }
`;
const SYNC_TODOS = `query { syncTodos(limit: 100, lastSync: 0) { items { id title done tags _version _deleted } nextToken startedAt } }`;

describe("syncpool models import", { timeout: 120_000 }, () => {
  let server: InProcessServer;
  let configPath: string;
  let apiKey: string;

  const importFile = (lines: string[], model = "Todo") => {
    const file = join(server.dataDir, `export-${model}-${lines.length}.json`);
    writeFileSync(file, `${lines.join("\n")}\n`);
    return runCli(["models", "import", "--pool", "app", "--model", model, "--data-dir", server.dataDir, "--config", configPath, file]);
  };
  const synced = async (query: string, field: string) => {
    const response = await server.fetch("/appsync/app/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": apiKey },
      body: JSON.stringify({ query }),
    });
    return ((await response.json()) as { data: Record<string, { items: Array<Record<string, unknown>> }> }).data[field]!.items;
  };
  const syncedTodos = () => synced(SYNC_TODOS, "syncTodos");

  beforeAll(async () => {
    const models = { schema: SCHEMA };
    server = await startInProcessServer({ config: { pools: [poolSettingsSchema.parse({ id: "app", models })], adminToken: ADMIN_TOKEN } });
    writeFileSync(join(server.dataDir, "schema.graphql"), SCHEMA);
    configPath = join(server.dataDir, "syncpool.json");
    writeFileSync(configPath, JSON.stringify({ pools: [{ id: "app", models: { schema: "./schema.graphql" } }] }));
    const issued = await server.gql(`mutation { createApiKey(identityPoolId: "app", expiresInDays: 7) { apiKey } }`, {}, ADMIN_TOKEN);
    apiKey = issued.data.createApiKey.apiKey;
  });
  afterAll(() => server?.close());

  it("writes each exported item as a model item through the commit path, with server-owned versions", async () => {
    const result = await importFile([
      JSON.stringify({ Item: { id: { S: "t-1" }, title: { S: "from dynamo" }, done: { BOOL: true }, tags: { L: [{ S: "a" }, { S: "b" }] }, _version: { N: "7" }, _lastChangedAt: { N: "1700000000000" }, _deleted: { BOOL: false } } }),
      "",
      JSON.stringify({ Item: { id: { S: "t-2" }, title: { S: "gone" }, done: { NULL: true }, _version: { N: "3" }, _deleted: { BOOL: true } } }),
    ]);
    expect(result.stderr).toBe("");
    expect([result.code, JSON.parse(result.stdout)]).toEqual([0, { imported: 2, pool: "app", model: "Todo" }]);
    const items = await syncedTodos();
    expect(items).toEqual([
      { id: "t-1", title: "from dynamo", done: true, tags: ["a", "b"], _version: expect.any(Number), _deleted: false },
      { id: "t-2", title: "gone", done: null, tags: null, _version: expect.any(Number), _deleted: true },
    ]);
    expect(items[0]!["_version"]).not.toBe(7);
    // Every write committed its stream event, as any push does.
    const events = [];
    for (const { shard } of await server.storage.stream.streamShards("app")) events.push(...(await server.storage.stream.readStreamEvents("app", shard, 1, 1000)));
    const datasets = events.map((event) => JSON.parse(event.data) as { identityId: string; dataSetName: string; syncCount: number });
    expect(datasets.filter((event) => event.identityId === poolOwnerId("app") && event.dataSetName === "model-Todo").map((event) => event.syncCount).sort()).toEqual([1, 2]);
  });

  it("imports nothing from a file with a bad line, naming the line", async () => {
    const result = await importFile([JSON.stringify({ Item: { id: { S: "t-3" }, title: { S: "fine" } } }), JSON.stringify({ Item: { id: { S: "t-4" }, title: { X: "?" } } })]);
    expect([result.code, result.stderr]).toEqual([1, expect.stringContaining("line 2: title: attributes of type X are not read; nothing was imported")]);
    expect((await syncedTodos()).map((item) => item["id"])).toEqual(["t-1", "t-2"]);
  });

  it("imports a model with an owner rule beside others into the pool's shared data, each owner field as exported, and refuses a model of owner rules alone", async () => {
    const result = await importFile([JSON.stringify({ Item: { id: { S: "m-1" }, text: { S: "alice's" }, owner: { S: "alice" } } })], "Memo");
    expect([result.code, result.stderr]).toEqual([0, ""]);
    // The public read rule's API key reads it, with the exported owner (Cognito's username) kept.
    expect(await synced(`query { syncMemos(limit: 100, lastSync: 0) { items { id text owner } } }`, "syncMemos")).toEqual([{ id: "m-1", text: "alice's", owner: "alice" }]);
    const refused = await importFile([JSON.stringify({ Item: { id: { S: "d-1" }, entry: { S: "x" }, owner: { S: "alice" } } })], "Diary");
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining("Diary keeps its items in each owner's own data")]);
  });
});
