/**
 * The LAMBDA conflict handler: a model's version conflict goes to the pool's
 * `models.lambdaConflictHandler` (here an in-process module) with AppSync's event, and its
 * RESOLVE, REJECT or DISCARD decides what the mutation answers. Raw GraphQL as DataStore sends it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { modelsSettingsSchema } from "../../server/models/models-settings.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

const ADMIN_TOKEN = "admin-token-for-appsync-lambda-0123456789";
const SCHEMA = /* GraphQL */ `
  type Todo @model @auth(rules: [{ allow: public }]) { id: ID! title: String! note: String }
`;
// Decides by the title the stale write sends; a RESOLVE reports what the event carried in `note`.
const HANDLER = `
export default function (event) {
  const { newItem, existingItem, arguments: args, resolver, identity } = event;
  switch (newItem.title) {
    case "resolve":
      return { action: "RESOLVE", item: { ...existingItem, title: existingItem.title + " + " + newItem.title,
        note: [resolver.parentType, resolver.field, resolver.tableName, args.input._version, existingItem._version, identity === null ? "apiKey" : identity.sub].join(" ") } };
    case "reject": return { action: "REJECT" };
    case "discard": return { action: "DISCARD" };
    case "lose-title": return { action: "RESOLVE", item: { note: "no title" } };
    case "malformed": return { action: "MAYBE" };
    default: throw new Error("the handler was called for " + newItem.title);
  }
}
`;
const TODO = "id title note _version _lastChangedAt _deleted";
const CREATE = `mutation operation($input: CreateTodoInput!) { createTodo(input: $input) { ${TODO} } }`;
const UPDATE = `mutation operation($input: UpdateTodoInput!) { updateTodo(input: $input) { ${TODO} } }`;

describe("the LAMBDA conflict handler", () => {
  const dir = mkdtempSync(join(tmpdir(), "syncpool-lambda-"));
  const handlerPath = join(dir, "conflict-handler.mjs");
  let server: InProcessServer;
  let apiKey: string;

  const call = async (query: string, variables: Record<string, unknown>) => {
    const response = await server.fetch("/appsync/app/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": apiKey },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: any; errors?: any[] };
  };
  /** An item at version 2 (created, then changed), so a write based on version 1 conflicts. */
  const twiceWritten = async (id: string) => {
    const created = await call(CREATE, { input: { id, title: "server" } });
    const changed = await call(UPDATE, { input: { id, note: "changed", _version: created.data.createTodo._version } });
    expect(changed.errors).toBeUndefined();
    return { stale: created.data.createTodo._version as number, current: changed.data.updateTodo };
  };

  beforeAll(async () => {
    writeFileSync(handlerPath, HANDLER);
    const models = { schema: SCHEMA, conflictHandler: "LAMBDA", lambdaConflictHandler: { module: handlerPath } };
    server = await startInProcessServer({ config: { pools: [poolSettingsSchema.parse({ id: "app", models })], adminToken: ADMIN_TOKEN } });
    const issued = await server.gql(`mutation { createApiKey(identityPoolId: "app", expiresInDays: 7) { apiKey } }`, {}, ADMIN_TOKEN);
    apiKey = issued.data.createApiKey.apiKey;
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("does not call the handler when the version matches", async () => {
    const { current } = await twiceWritten("no-conflict");
    const body = await call(UPDATE, { input: { id: "no-conflict", title: "plain", _version: current._version } });
    expect(body.errors).toBeUndefined();
    expect(body.data.updateTodo).toMatchObject({ title: "plain", note: "changed" });
  });

  it("stores the item a RESOLVE answers, over the version the handler saw, given AppSync's event", async () => {
    const { stale, current } = await twiceWritten("resolved");
    const body = await call(UPDATE, { input: { id: "resolved", title: "resolve", _version: stale } });
    expect(body.errors).toBeUndefined();
    expect(body.data.updateTodo).toMatchObject({ id: "resolved", title: "server + resolve", note: `Mutation updateTodo model-Todo ${stale} ${current._version} apiKey`, _deleted: false });
    expect(body.data.updateTodo._version).toBeGreaterThan(current._version);
  });

  it("answers ConflictUnhandled with the stored item on REJECT, and writes nothing", async () => {
    const { stale, current } = await twiceWritten("rejected");
    const body = await call(UPDATE, { input: { id: "rejected", title: "reject", _version: stale } });
    expect(body.data).toEqual({ updateTodo: null });
    expect(body.errors?.[0]).toMatchObject({ errorType: "ConflictUnhandled", message: "Conflict resolver rejects mutation.", data: { id: "rejected", title: "server", _version: current._version } });
  });

  it("answers the stored item unchanged on DISCARD", async () => {
    const { stale, current } = await twiceWritten("discarded");
    const body = await call(UPDATE, { input: { id: "discarded", title: "discard", _version: stale } });
    expect(body.errors).toBeUndefined();
    expect(body.data.updateTodo).toEqual(current);
  });

  it("refuses a malformed answer or a resolved item without a required field, and writes nothing", async () => {
    const { stale, current } = await twiceWritten("refused");
    for (const title of ["malformed", "lose-title"]) {
      const body = await call(UPDATE, { input: { id: "refused", title, _version: stale } });
      expect(body.data).toEqual({ updateTodo: null });
      expect(body.errors?.[0]).toMatchObject({ errorType: "LambdaConflictHandlerFailed", message: expect.stringContaining("The conflict handler failed") });
    }
    const read = await call(`query operation($id: ID!) { getTodo(id: $id) { ${TODO} } }`, { id: "refused" });
    expect(read.data.getTodo).toEqual(current);
  });

  it("refuses LAMBDA models without a lambdaConflictHandler when the settings are read", () => {
    const parsed = modelsSettingsSchema.safeParse({ schema: SCHEMA, conflictHandlers: { Todo: "LAMBDA" } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ["lambdaConflictHandler"], message: "required when a conflictHandler is LAMBDA" });
  });
});
