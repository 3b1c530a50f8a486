/**
 * What a pool does around JSON records: its JSON Schemas hold for the merged object, its sync
 * trigger sees and answers plain objects, its stream carries the materialized object, and its
 * byte quota counts the encoded state. Over real HTTP, one pool with all of these.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareClocks, formatClock } from "../../core/clock.js";
import { decodeJsonState, encodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut, applyJsonUpdate, materializeJson } from "../../core/json-record.js";
import { EMPTY_JSON_STATE } from "../../core/json-state.js";
import { utf8Length } from "../../core/limits.js";
import { loadConfig } from "../../server/config.js";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { ADMIN_TOKEN, streamApi } from "../helpers/stream-api.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

const MAX_BYTES = 600;
const clock = (deviceId = "a") => formatClock({ wallMs: Date.now(), counter: 0, deviceId });
const put = (object: unknown, at = clock()) => encodeJsonState(applyJsonPut(EMPTY_JSON_STATE, object, at));
const update = (partial: Record<string, unknown>, at = clock()) => encodeJsonState(applyJsonUpdate(EMPTY_JSON_STATE, partial, at));
const shown = (value: string | null | undefined) => (value == null ? null : materializeJson(decodeJsonState(value)));

const dir = mkdtempSync(join(tmpdir(), "syncpool-json-rules-"));
// Upper-cases a JSON record's title in datasets named trig*; leaves everything else as pushed.
writeFileSync(
  join(dir, "trigger.mjs"),
  `export default async function syncTrigger(event) {
    if (!event.datasetName.startsWith("trig")) return event;
    for (const record of Object.values(event.datasetRecords)) {
      if (record.kind !== "JSON" || record.op !== "replace") continue;
      const object = JSON.parse(record.newValue);
      object.title = String(object.title).toUpperCase();
      record.newValue = JSON.stringify(object);
    }
    return event;
  }\n`,
);
const todoSchema = { type: "object", properties: { title: { type: "string" }, done: { type: "boolean" } }, required: ["title"] };

let server: InProcessServer;
let api: SyncApi;
let identityId: string;
const events = async (dataset: string) =>
  (await streamApi(server, ADMIN_TOKEN).readShard("rules", 0)).filter(
    (record) => record.partitionKey === identityId && record.data.dataSetName === dataset,
  );

beforeAll(async () => {
  server = await startInProcessServer({
    config: {
      adminToken: ADMIN_TOKEN,
      configFile: join(dir, "syncpool.json"),
      pools: [
        poolSettingsSchema.parse({
          id: "rules",
          stream: { shards: 1 },
          limits: { maxDatasetBytes: MAX_BYTES },
          syncTrigger: { module: "./trigger.mjs" },
          jsonSchemas: [{ datasets: "todos*", schema: todoSchema }],
        }),
      ],
    },
  });
  const guest = await server.signInGuest("rules");
  identityId = guest.identityId;
  api = syncApi(server, guest.token);
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("pool JSON Schemas", () => {
  it("refuses a write whose object breaks the schema with SCHEMA_VIOLATION and the failing path; nothing commits", async () => {
    await api.push({ dataset: "todos-home", patches: [{ op: "REPLACE", key: "t1", kind: "JSON", value: put({ title: "milk" }) }] });
    await expect(
      api.push({ dataset: "todos-home", patches: [{ op: "REPLACE", key: "t1", kind: "JSON", value: update({ done: "yes" }) }] }),
    ).rejects.toMatchObject({ code: "BAD_USER_INPUT", extensions: { reason: "SCHEMA_VIOLATION", key: "t1", path: "/done", message: "must be boolean" } });
    expect((await api.dataset("todos-home"))!.syncCount).toBe(1);
    expect(await events("todos-home")).toHaveLength(1);
  });

  it("checks the merged object: unsetting a required field another push wrote is refused", async () => {
    await api.push({ dataset: "todos-work", patches: [{ op: "REPLACE", key: "t1", kind: "JSON", value: put({ title: "report" }) }] });
    await expect(
      api.push({ dataset: "todos-work", patches: [{ op: "REPLACE", key: "t1", kind: "JSON", value: update({ title: undefined, done: true }) }] }),
    ).rejects.toMatchObject({ extensions: { reason: "SCHEMA_VIOLATION", path: "" } });
    expect(shown((await api.pullAll("todos-work")).records[0]!.value)).toEqual({ title: "report" });
  });

  it("leaves datasets no pattern matches alone", async () => {
    const result = await api.push({ dataset: "notes", patches: [{ op: "REPLACE", key: "n", kind: "JSON", value: put({ done: "whatever" }) }] });
    expect(result.datasetSyncCount).toBe(1);
  });

  it("reads a schema named by a path relative to the config file", () => {
    writeFileSync(join(dir, "todo.schema.json"), JSON.stringify(todoSchema));
    const file = join(dir, "with-schema-file.json");
    writeFileSync(file, JSON.stringify({ pools: [{ id: "p", jsonSchemas: [{ datasets: "todos*", schema: "./todo.schema.json" }] }] }));
    expect(loadConfig({ SYNCPOOL_CONFIG: file }).pools[0]!.jsonSchemas).toEqual([{ datasets: "todos*", schema: todoSchema }]);
    writeFileSync(file, JSON.stringify({ pools: [{ id: "p", jsonSchemas: [{ datasets: "todos*", schema: { type: "no-such-type" } }] }] }));
    expect(() => loadConfig({ SYNCPOOL_CONFIG: file })).toThrow(/pools\[0\]\.jsonSchemas\[0\]\.schema: not a valid JSON Schema/);
  });
});

describe("JSON records in the stream and the sync trigger", () => {
  it("carries the materialized object as JSON text with kind JSON in the stream event", async () => {
    await api.push({ dataset: "plain", patches: [{ op: "REPLACE", key: "p", kind: "JSON", value: put({ b: [1, 2], a: { c: null } }) }] });
    const [event] = await events("plain");
    expect(event!.data.kinesisSyncRecords).toMatchObject([{ key: "p", kind: "JSON", op: "replace", value: '{"a":{"c":null},"b":[1,2]}' }]);
  });

  it("lets a trigger replace a JSON record's object; the answer wins over the device's write everywhere", async () => {
    const at = clock("phone");
    const result = await api.push({ dataset: "trig", deviceId: "phone", patches: [{ op: "REPLACE", key: "t", kind: "JSON", value: put({ title: "milk", done: false }, at) }] });
    expect(result.records[0]).toMatchObject({ kind: "JSON" });
    expect(compareClocks(result.records[0]!.clock, at)).toBe(1);
    expect(shown((await api.pullAll("trig")).records[0]!.value)).toEqual({ done: false, title: "MILK" });
    const [event] = await events("trig");
    expect(event!.data.kinesisSyncRecords).toMatchObject([{ key: "t", kind: "JSON", origin: "trigger", value: '{"done":false,"title":"MILK"}' }]);
  });
});

describe("quota of JSON records", () => {
  // A record counts its key's bytes plus its encoded state's bytes.
  const fill = (textLength: number) => put({ s: "x".repeat(textLength) }, formatClock({ wallMs: 1_700_000_000_000, counter: 0, deviceId: "a" }));
  const textLengthFor = (totalBytes: number) => totalBytes - utf8Length("q") - utf8Length(fill(0));

  it("accepts a dataset of exactly maxDatasetBytes of encoded state and refuses one byte more", async () => {
    const exact = fill(textLengthFor(MAX_BYTES));
    expect(utf8Length("q") + utf8Length(exact)).toBe(MAX_BYTES);
    await api.push({ dataset: "quota-exact", patches: [{ op: "REPLACE", key: "q", kind: "JSON", value: exact }] });
    expect(await api.dataset("quota-exact")).toMatchObject({ sizeBytes: MAX_BYTES });
    await expect(
      api.push({ dataset: "quota-over", patches: [{ op: "REPLACE", key: "q", kind: "JSON", value: fill(textLengthFor(MAX_BYTES + 1)) }] }),
    ).rejects.toMatchObject({ code: "LIMIT_EXCEEDED", extensions: { limit: "maxDatasetBytes", max: MAX_BYTES } });
    expect(await api.dataset("quota-over")).toBeNull();
  });
});
