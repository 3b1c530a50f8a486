/**
 * Unmodified Amplify DataStore against a model under the LAMBDA conflict handler: the pool's
 * `lambdaConflictHandler` (a module written to a temporary directory) REJECTs every conflict, so a
 * stale update from a device that was offline is answered `ConflictUnhandled` with the server's
 * item, DataStore hands that to its own `conflictHandler` (test/helpers/datastore-device.cjs keeps
 * the local edit on the server's version), and both devices end with what that handler decided.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { materializeStoredJson } from "../../core/shown-value.js";
import { startDevice, type Device } from "../helpers/datastore-device.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const ADMIN_TOKEN = "admin-token-for-datastore-lambda-0123456789";
/** The schema test/helpers/datastore-device.cjs carries as codegen models. */
const SCHEMA = `
  type Todo @model @auth(rules: [{ allow: public }]) { id: ID! title: String! done: Boolean }
  type Note @model @auth(rules: [{ allow: public }]) { id: ID! content: String! }
`;
/** Records what each conflict it is called for carried, and rejects it. */
const handler = (callsPath: string) => `
import { appendFileSync } from "node:fs";
export default function ({ newItem, existingItem }) {
  appendFileSync(${JSON.stringify(callsPath)}, JSON.stringify({ id: existingItem.id, newContent: newItem.content, existingContent: existingItem.content }) + "\\n");
  return { action: "REJECT" };
}
`;

describe("an unmodified Amplify DataStore app against a LAMBDA model", () => {
  const dir = mkdtempSync(join(tmpdir(), "syncpool-datastore-lambda-"));
  const handlerPath = join(dir, "conflict-handler.mjs");
  const callsPath = join(dir, "calls.jsonl");
  let server: TestServer;
  let one: Device;
  let two: Device;

  const stored = async (id: string) => {
    const page = await server.storage.datasets.readRecords("_shared:app", "model-Note", { sinceSyncCount: 0, limit: 1000 });
    const record = page.records.find((candidate) => candidate.key === id);
    return record ? materializeStoredJson(record.value) : null;
  };
  const handlerCalls = () => (existsSync(callsPath) ? readFileSync(callsPath, "utf8").trim().split("\n").map((line) => JSON.parse(line)) : []);

  beforeAll(async () => {
    writeFileSync(handlerPath, handler(callsPath));
    const models = { schema: SCHEMA, conflictHandlers: { Note: "LAMBDA" }, lambdaConflictHandler: { module: handlerPath } };
    server = await startTestServer({ config: { pools: [poolSettingsSchema.parse({ id: "app", models })], adminToken: ADMIN_TOKEN } });
    const issued = await server.gql(`mutation { createApiKey(identityPoolId: "app", expiresInDays: 1) { apiKey } }`, {}, ADMIN_TOKEN);
    const endpoint = `${server.url}/appsync/app/graphql`;
    const apiKey: string = issued.data.createApiKey.apiKey;
    [one, two] = await Promise.all([startDevice(endpoint, { apiKey }), startDevice(endpoint, { apiKey })]);
    await Promise.all([one.run("start"), two.run("start")]);
  }, 60_000);
  afterAll(async () => {
    one?.kill();
    two?.kill();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("hands a stale update the handler REJECTs to DataStore's conflictHandler with the server's item, and both devices converge on its decision", async () => {
    const saved = await one.run("save", { model: "Note", fields: { content: "v1" } });
    await expect.poll(() => stored(saved.id), { timeout: 15_000 }).toMatchObject({ content: "v1" });
    await two.run("resync");
    // Device two is offline while one writes: its update is based on the version before one's.
    await two.run("network", { online: false });
    await one.run("update", { model: "Note", id: saved.id, fields: { content: "from one" } });
    await expect.poll(() => stored(saved.id), { timeout: 15_000 }).toMatchObject({ content: "from one" });
    expect(handlerCalls()).toEqual([]);
    await two.run("update", { model: "Note", id: saved.id, fields: { content: "from two" } });
    await two.run("network", { online: true });

    await expect.poll(() => two.run("conflicts"), { timeout: 15_000 }).toEqual([
      expect.objectContaining({ operation: "UPDATE", local: expect.objectContaining({ content: "from two" }), remote: expect.objectContaining({ id: saved.id, content: "from one" }) }),
    ]);
    // The server's handler saw the stale write against the stored item, and rejected it.
    expect(handlerCalls()).toContainEqual({ id: saved.id, newContent: "from two", existingContent: "from one" });
    // DataStore's handler kept the local edit on the server's version: that write matches the
    // stored version, is accepted without the server's handler, and reaches the other device.
    await expect.poll(() => stored(saved.id), { timeout: 15_000 }).toMatchObject({ content: "from two" });
    await expect.poll(() => two.run("query", { model: "Note", id: saved.id }), { timeout: 15_000 }).toMatchObject({ content: "from two" });
    await one.run("resync");
    expect(await one.run("query", { model: "Note", id: saved.id })).toMatchObject({ content: "from two" });
    expect(handlerCalls().every((call) => call.newContent === "from two")).toBe(true);
    expect(await two.run("errors")).toEqual([]);
    expect(await one.run("errors")).toEqual([]);
  }, 60_000);
});
