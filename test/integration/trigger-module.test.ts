/**
 * In-process sync triggers (a module's default export, path relative to the config file): they
 * see the Cognito-shaped event and may change values, add records, remove records or reject the
 * push; records they decide come back in the push answer and carry origin `trigger` in the
 * stream. A rejection, a timeout, a malformed answer or a throwing trigger commits nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareClocks, formatClock } from "../../core/clock.js";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { ADMIN_TOKEN, streamApi } from "../helpers/stream-api.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

const dir = mkdtempSync(join(tmpdir(), "syncpool-trigger-"));
// The trigger: the dataset name picks what it does; a value starting with "!" asks for a failure.
writeFileSync(
  join(dir, "trigger.mjs"),
  `export default async function syncTrigger(event) {
    const records = event.datasetRecords;
    const asked = Object.values(records).map((record) => record.newValue).find((value) => value?.startsWith("!"));
    if (asked === "!reject") return { reject: { message: "values must not start with !" } };
    if (asked === "!slow") return new Promise(() => {}); // never answers: only the server's time limit ends the call
    if (asked === "!malformed") return { datasetRecords: { k: { op: "replace" } } };
    if (asked === "!throw") throw new Error("the trigger broke");
    if (event.datasetName === "modify") {
      for (const record of Object.values(records)) if (record.op === "replace") record.newValue = record.newValue.toUpperCase();
    }
    if (event.datasetName === "add") records.audit = { op: "replace", newValue: "by " + event.deviceId + " in " + event.region };
    if (event.datasetName === "remove") {
      delete records.secret;
      records.old = { op: "remove" };
    }
    return event;
  }\n`,
);

let server: InProcessServer;
let api: SyncApi;
let identityId: string;
const stream = () => streamApi(server, ADMIN_TOKEN);
const events = async () => (await stream().readShard("triggered", 0)).filter((record) => record.partitionKey === identityId);

beforeAll(async () => {
  server = await startInProcessServer({
    config: {
      adminToken: ADMIN_TOKEN,
      configFile: join(dir, "syncpool.json"),
      pools: [poolSettingsSchema.parse({ id: "triggered", region: "eu-test", syncTrigger: { module: "./trigger.mjs" }, stream: { shards: 1 } })],
    },
    serverOptions: { stream: { moduleTriggerTimeoutMs: 300 } },
  });
  const guest = await server.signInGuest("triggered");
  identityId = guest.identityId;
  api = syncApi(server, guest.token);
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("module sync trigger", () => {
  it("modifies values: the answer, the stored records and the stream carry the trigger's", async () => {
    const clock = formatClock({ wallMs: Date.now(), counter: 0, deviceId: "phone" });
    const result = await api.push({ dataset: "modify", deviceId: "phone", patches: [{ op: "REPLACE", key: "name", value: "ada", clock }] });
    expect(result.records.map((record) => [record.key, record.value])).toEqual([["name", "ADA"]]);
    expect(compareClocks(result.records[0]!.clock, clock)).toBe(1); // wins over the device's write everywhere
    expect((await api.pullAll("modify")).records.map((record) => record.value)).toEqual(["ADA"]);
    const [event] = (await events()).filter((record) => record.data.dataSetName === "modify");
    expect(event!.data).toMatchObject({ origin: "trigger", deviceId: "phone", kinesisSyncRecords: [{ key: "name", value: "ADA", origin: "trigger" }] });
  });

  it("adds records the device did not push", async () => {
    const result = await api.push({ dataset: "add", deviceId: "tablet", patches: [{ op: "REPLACE", key: "k", value: "1" }] });
    expect(result.records.map((record) => [record.key, record.value])).toEqual([["k", "1"], ["audit", "by tablet in eu-test"]]);
    const [event] = (await events()).filter((record) => record.data.dataSetName === "add");
    expect(event!.data.kinesisSyncRecords.map((record) => [record.key, record.origin])).toEqual([["k", "device"], ["audit", "trigger"]]);
  });

  it("removes records: a key left out is not written, op remove deletes", async () => {
    const result = await api.push({
      dataset: "remove",
      patches: [
        { op: "REPLACE", key: "keep", value: "k" },
        { op: "REPLACE", key: "secret", value: "s" },
        { op: "REPLACE", key: "old", value: "o" },
      ],
    });
    expect(result.records.map((record) => [record.key, record.value, record.deleted])).toEqual([["keep", "k", false], ["old", null, true]]);
    const stored = await api.pullAll("remove");
    expect(stored.records.map((record) => [record.key, record.deleted])).toEqual([["keep", false], ["old", true]]);
  });

  describe("failures commit nothing", () => {
    const failing = async (value: string) => {
      const before = { syncCount: (await api.dataset("modify"))!.syncCount, events: (await events()).length };
      const push = api.push({ dataset: "modify", patches: [{ op: "REPLACE", key: "name", value }] });
      return { push, check: async () => {
        await push.catch(() => undefined);
        expect((await api.dataset("modify"))!.syncCount).toBe(before.syncCount);
        expect((await api.pullAll("modify")).records.map((record) => record.value)).toEqual(["ADA"]);
        expect(await events()).toHaveLength(before.events);
      } };
    };

    it("a rejection is TRIGGER_REJECTED with the trigger's message", async () => {
      const { push, check } = await failing("!reject");
      await expect(push).rejects.toMatchObject({ code: "TRIGGER_REJECTED", message: "values must not start with !", extensions: { triggerMessage: "values must not start with !" } });
      await check();
    });

    it("a trigger that does not answer in time is TRIGGER_FAILED (TIMEOUT)", async () => {
      const { push, check } = await failing("!slow");
      await expect(push).rejects.toMatchObject({ code: "TRIGGER_FAILED", extensions: { reason: "TIMEOUT" } });
      await check();
    });

    it("a malformed answer is TRIGGER_FAILED (MALFORMED_ANSWER), naming the fault", async () => {
      const { push, check } = await failing("!malformed");
      await expect(push).rejects.toMatchObject({ code: "TRIGGER_FAILED", extensions: { reason: "MALFORMED_ANSWER" }, message: expect.stringContaining("newValue") });
      await check();
    });

    it("a trigger that throws is TRIGGER_FAILED (ERROR), its message kept in the server log only", async () => {
      const { push, check } = await failing("!throw");
      await expect(push).rejects.toMatchObject({ code: "TRIGGER_FAILED", extensions: { reason: "ERROR" } });
      await expect(push).rejects.not.toMatchObject({ message: expect.stringContaining("broke") });
      await check();
    });
  });
});
