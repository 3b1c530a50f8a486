/**
 * Unmodified Amplify DataStore against a model under the LAMBDA conflict handler. The pool's
 * `lambdaConflictHandler` (a module written to a temporary directory) decides by the stale write's
 * content, so one server serves all three answers:
 * - REJECT: the update is answered `ConflictUnhandled` with the server's item, DataStore hands that
 *   to its own `conflictHandler` (test/helpers/datastore-device.cjs keeps the local edit on the
 *   server's version), and both devices end with what that handler decided;
 * - RESOLVE: the handler's merged item is stored and is the mutation's answer, so DataStore's
 *   `conflictHandler` is not called and both devices converge on the merged item;
 * - DISCARD: the stale write is dropped, the stored item is the answer, and both devices converge
 *   on the server's item.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device } from "../helpers/datastore-device.js";
import { startApiKeyPair, type ApiKeyPair } from "../helpers/datastore-api-key-pair.js";
import type { TestServer } from "../helpers/server.js";
import { storedModelItem } from "../helpers/stored-model-item.js";

/** The schema test/helpers/datastore-device.cjs carries as codegen models. */
const SCHEMA = `
  type Todo @model @auth(rules: [{ allow: public }]) { id: ID! title: String! done: Boolean }
  type Note @model @auth(rules: [{ allow: public }]) { id: ID! content: String! }
`;
/**
 * Records what each conflict it is called for carried, then answers by the stale content: one
 * starting "resolve" gets both contents merged, one starting "discard" is dropped, others rejected.
 */
const handler = (callsPath: string) => `
import { appendFileSync } from "node:fs";
export default function ({ newItem, existingItem }) {
  appendFileSync(${JSON.stringify(callsPath)}, JSON.stringify({ id: existingItem.id, newContent: newItem.content, existingContent: existingItem.content }) + "\\n");
  if (newItem.content.startsWith("resolve")) return { action: "RESOLVE", item: { ...existingItem, content: existingItem.content + " + " + newItem.content } };
  if (newItem.content.startsWith("discard")) return { action: "DISCARD" };
  return { action: "REJECT" };
}
`;

describe("an unmodified Amplify DataStore app against a LAMBDA model", () => {
  const dir = mkdtempSync(join(tmpdir(), "syncpool-datastore-lambda-"));
  const handlerPath = join(dir, "conflict-handler.mjs");
  const callsPath = join(dir, "calls.jsonl");
  let pair: ApiKeyPair;
  let server: TestServer;
  let one: Device;
  let two: Device;

  const stored = (id: string) => storedModelItem(server.storage, "_shared:app", "Note", id);
  /** What the server's handler was called with for the item `id`. */
  const handlerCalls = (id: string): Array<{ id: string; newContent: string; existingContent: string }> =>
    (existsSync(callsPath) ? readFileSync(callsPath, "utf8").trim().split("\n").map((line) => JSON.parse(line)) : []).filter((call) => call.id === id);
  /** DataStore's conflictHandler calls on device two for the item `id`. */
  const conflictsOf = async (id: string) => ((await two.run("conflicts")) as Array<{ remote: { id: string } }>).filter((conflict) => conflict.remote.id === id);

  /**
   * Device one saves a note, device two syncs it and goes offline, one updates it to "from one"
   * (accepted without the handler, since its version matches), and two updates its stale copy to
   * `staleContent` and comes back online.
   */
  const staleUpdate = async (staleContent: string): Promise<string> => {
    const saved = await one.run("save", { model: "Note", fields: { content: "v1" } });
    await expect.poll(() => stored(saved.id), { timeout: 15_000 }).toMatchObject({ content: "v1" });
    await two.run("resync");
    await two.run("network", { online: false });
    await one.run("update", { model: "Note", id: saved.id, fields: { content: "from one" } });
    await expect.poll(() => stored(saved.id), { timeout: 15_000 }).toMatchObject({ content: "from one" });
    expect(handlerCalls(saved.id)).toEqual([]);
    await two.run("update", { model: "Note", id: saved.id, fields: { content: staleContent } });
    await two.run("network", { online: true });
    return saved.id;
  };

  beforeAll(async () => {
    writeFileSync(handlerPath, handler(callsPath));
    pair = await startApiKeyPair({ schema: SCHEMA, conflictHandlers: { Note: "LAMBDA" }, lambdaConflictHandler: { module: handlerPath } });
    ({ server, one, two } = pair);
  }, 60_000);
  afterAll(async () => {
    await pair?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("hands a stale update the handler REJECTs to DataStore's conflictHandler with the server's item, and both devices converge on its decision", async () => {
    const id = await staleUpdate("from two");

    await expect.poll(() => conflictsOf(id), { timeout: 15_000 }).toEqual([
      expect.objectContaining({ operation: "UPDATE", local: expect.objectContaining({ content: "from two" }), remote: expect.objectContaining({ id, content: "from one" }) }),
    ]);
    // The server's handler saw the stale write against the stored item, and rejected it.
    expect(handlerCalls(id)).toContainEqual({ id, newContent: "from two", existingContent: "from one" });
    // DataStore's handler kept the local edit on the server's version: that write matches the
    // stored version, is accepted without the server's handler, and reaches the other device.
    await expect.poll(() => stored(id), { timeout: 15_000 }).toMatchObject({ content: "from two" });
    await expect.poll(() => two.run("query", { model: "Note", id }), { timeout: 15_000 }).toMatchObject({ content: "from two" });
    await one.run("resync");
    expect(await one.run("query", { model: "Note", id })).toMatchObject({ content: "from two" });
    expect(handlerCalls(id).every((call) => call.newContent === "from two")).toBe(true);
    expect(await two.run("errors")).toEqual([]);
    expect(await one.run("errors")).toEqual([]);
  }, 60_000);

  it("stores the item a handler RESOLVEs a stale update to, without calling DataStore's conflictHandler, and both devices converge on it", async () => {
    const id = await staleUpdate("resolve from two");
    const merged = "from one + resolve from two";

    await expect.poll(() => stored(id), { timeout: 15_000 }).toMatchObject({ content: merged });
    expect(handlerCalls(id)).toEqual([{ id, newContent: "resolve from two", existingContent: "from one" }]);
    // The handler's item is the mutation's answer: device two takes it as its own write's result.
    await expect.poll(() => two.run("query", { model: "Note", id }), { timeout: 15_000 }).toMatchObject({ content: merged });
    await expect.poll(() => one.run("query", { model: "Note", id }), { timeout: 15_000 }).toMatchObject({ content: merged });
    await one.run("resync");
    expect(await one.run("query", { model: "Note", id })).toMatchObject({ content: merged });
    // The write succeeded, so DataStore had no conflict to hand its handler.
    expect(await conflictsOf(id)).toEqual([]);
    expect(await stored(id)).toMatchObject({ content: merged });
    expect(await two.run("errors")).toEqual([]);
    expect(await one.run("errors")).toEqual([]);
  }, 60_000);

  it("drops a stale update the handler DISCARDs: the server keeps its item and both devices converge on it", async () => {
    const id = await staleUpdate("discard from two");

    await expect.poll(() => handlerCalls(id), { timeout: 15_000 }).toEqual([{ id, newContent: "discard from two", existingContent: "from one" }]);
    // The stored item is the mutation's answer: device two's stale edit gives way to it.
    await expect.poll(() => two.run("query", { model: "Note", id }), { timeout: 15_000 }).toMatchObject({ content: "from one" });
    await two.run("resync");
    expect(await two.run("query", { model: "Note", id })).toMatchObject({ content: "from one" });
    await one.run("resync");
    expect(await one.run("query", { model: "Note", id })).toMatchObject({ content: "from one" });
    expect(await stored(id)).toMatchObject({ content: "from one" });
    expect(await conflictsOf(id)).toEqual([]);
    expect(await two.run("errors")).toEqual([]);
    expect(await one.run("errors")).toEqual([]);
  }, 60_000);
});
