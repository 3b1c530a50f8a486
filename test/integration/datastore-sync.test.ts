/**
 * Unmodified Amplify DataStore (aws-amplify 6.22, @aws-amplify/datastore 5.1) syncing against
 * syncpool's model API over real HTTP: two devices, each its own Node process with its own
 * IndexedDB (fake-indexeddb), an API key from `createApiKey`. Realtime is on (the devices hold
 * their subscriptions on the model API's WebSocket; datastore-live.test.ts tests what arrives
 * there), so these tests read the server and a device's sync: base sync, delta sync after
 * `stop()`/`start()`, soft deletes, and conflicts. A device that must not hear the other's write
 * before making its own is taken offline (`network`) and brought back, as a phone loses its network.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatClock } from "../../core/clock.js";
import { encodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut } from "../../core/json-record.js";
import { EMPTY_JSON_STATE } from "../../core/json-state.js";
import { materializeStoredJson } from "../../core/shown-value.js";
import { startDevice, type Device } from "../helpers/datastore-device.js";
import { startApiKeyPair, type ApiKeyPair } from "../helpers/datastore-api-key-pair.js";
import { syncApi } from "../helpers/sync-api.js";
import type { TestServer } from "../helpers/server.js";
import { storedModelItem } from "../helpers/stored-model-item.js";

/** The app's schema.graphql; test/helpers/datastore-device.cjs holds what codegen makes of it. */
const SCHEMA = `
  type Todo @model @auth(rules: [{ allow: public }]) { id: ID! title: String! done: Boolean }
  type Note @model @auth(rules: [{ allow: public }]) { id: ID! content: String! }
  type Diary @model @auth(rules: [{ allow: owner }]) { id: ID! entry: String! }
`;

describe("an unmodified Amplify DataStore app syncing against syncpool", () => {
  let pair: ApiKeyPair;
  let server: TestServer;
  let one: Device;
  let two: Device;
  let endpoint: string;

  /** The item as the server stores it (the JSON record's object), or null. */
  const stored = (model: string, id: string) => storedModelItem(server.storage, "_shared:app", model, id);

  beforeAll(async () => {
    pair = await startApiKeyPair({ schema: SCHEMA, conflictHandler: "AUTOMERGE", conflictHandlers: { Note: "OPTIMISTIC_CONCURRENCY" } });
    ({ server, one, two, endpoint } = pair);
  }, 60_000);
  afterAll(async () => pair?.close());

  it("sends a saved item to the server, and a second device base-syncs it", async () => {
    const saved = await one.run("save", { model: "Todo", fields: { title: "buy milk", done: false } });
    await expect.poll(() => stored("Todo", saved.id), { timeout: 15_000 }).toMatchObject({ title: "buy milk", done: false });
    await two.run("resync");
    expect(await two.run("query", { model: "Todo", id: saved.id })).toMatchObject({ title: "buy milk", done: false, _version: expect.any(Number) });
  }, 30_000);

  it("carries an update on one device to the other by delta sync, then a delete as _deleted", async () => {
    const saved = await one.run("save", { model: "Todo", fields: { title: "walk", done: false } });
    await expect.poll(() => stored("Todo", saved.id), { timeout: 15_000 }).not.toBeNull();
    await two.run("resync");
    await two.run("update", { model: "Todo", id: saved.id, fields: { done: true } });
    await expect.poll(() => stored("Todo", saved.id), { timeout: 15_000 }).toMatchObject({ title: "walk", done: true });
    await one.run("resync");
    expect(await one.run("query", { model: "Todo", id: saved.id })).toMatchObject({ title: "walk", done: true });

    await one.run("remove", { model: "Todo", id: saved.id });
    await expect.poll(() => stored("Todo", saved.id), { timeout: 15_000 }).toMatchObject({ _deleted: true, title: "walk" });
    await two.run("resync");
    expect(await two.run("query", { model: "Todo", id: saved.id })).toBeNull();
  }, 45_000);

  it("keeps both of two offline edits to different fields under AUTOMERGE, on both devices", async () => {
    const saved = await one.run("save", { model: "Todo", fields: { title: "draft", done: false } });
    await expect.poll(() => stored("Todo", saved.id), { timeout: 15_000 }).not.toBeNull();
    await two.run("resync");
    // Device two is offline while one renames: its edit is based on the version before one's,
    // and touches another field.
    await two.run("network", { online: false });
    await one.run("update", { model: "Todo", id: saved.id, fields: { title: "final" } });
    await expect.poll(() => stored("Todo", saved.id), { timeout: 15_000 }).toMatchObject({ title: "final" });
    await two.run("update", { model: "Todo", id: saved.id, fields: { done: true } });
    await two.run("network", { online: true });
    await expect.poll(() => stored("Todo", saved.id), { timeout: 15_000 }).toMatchObject({ title: "final", done: true });
    await expect.poll(() => two.run("query", { model: "Todo", id: saved.id }), { timeout: 15_000 }).toMatchObject({ title: "final", done: true });
    await one.run("resync");
    expect(await one.run("query", { model: "Todo", id: saved.id })).toMatchObject({ title: "final", done: true });
    // Merged by the server, not by a conflict handler on the device.
    expect(await two.run("conflicts")).toEqual([]);
  }, 45_000);

  it("hands a stale OPTIMISTIC_CONCURRENCY update to DataStore's conflictHandler with the server's item", async () => {
    const saved = await one.run("save", { model: "Note", fields: { content: "v1" } });
    await expect.poll(() => stored("Note", saved.id), { timeout: 15_000 }).not.toBeNull();
    await two.run("resync");
    // Device two is offline while one writes: its update is based on the version before one's.
    await two.run("network", { online: false });
    await one.run("update", { model: "Note", id: saved.id, fields: { content: "from one" } });
    await expect.poll(() => stored("Note", saved.id), { timeout: 15_000 }).toMatchObject({ content: "from one" });
    await two.run("update", { model: "Note", id: saved.id, fields: { content: "from two" } });
    await two.run("network", { online: true });
    await expect.poll(() => two.run("conflicts"), { timeout: 15_000 }).toEqual([
      expect.objectContaining({ operation: "UPDATE", local: expect.objectContaining({ content: "from two" }), remote: expect.objectContaining({ id: saved.id, content: "from one" }) }),
    ]);
    // The handler kept the local edit on the server's version: it is accepted.
    await expect.poll(() => stored("Note", saved.id), { timeout: 15_000 }).toMatchObject({ content: "from two" });
    expect(await two.run("errors")).toEqual([]);
  }, 45_000);

  it("keeps an owner model's items to the identity whose token DataStore sends (its second device and its syncpool client share them, another identity sees none)", async () => {
    const alice = await server.signInGuest("app");
    const bob = await server.signInGuest("app");
    const devices = await Promise.all([startDevice(endpoint, { token: alice.token }), startDevice(endpoint, { token: alice.token }), startDevice(endpoint, { token: bob.token })]);
    try {
      const [alicePhone, aliceLaptop, bobPhone] = devices;
      await Promise.all(devices.map((device) => device.run("start")));
      const saved = await alicePhone!.run("save", { model: "Diary", fields: { entry: "dear diary" } });
      await expect
        .poll(async () => (await server.storage.datasets.readRecords(alice.identityId, "model-Diary", { sinceSyncCount: 0, limit: 10 })).records.map((record) => materializeStoredJson(record.value)), { timeout: 15_000 })
        .toEqual([expect.objectContaining({ entry: "dear diary", owner: alice.identityId })]);
      await aliceLaptop!.run("resync");
      expect(await aliceLaptop!.run("query", { model: "Diary", id: saved.id })).toMatchObject({ entry: "dear diary", owner: alice.identityId });
      await bobPhone!.run("resync");
      expect(await bobPhone!.run("query", { model: "Diary" })).toEqual([]);
      // Bob's device syncs (his own entry goes up), and his entry stays out of Alice's devices.
      await bobPhone!.run("save", { model: "Diary", fields: { entry: "bob's" } });
      await expect.poll(async () => (await server.storage.datasets.readRecords(bob.identityId, "model-Diary", { sinceSyncCount: 0, limit: 10 })).records.length, { timeout: 15_000 }).toBe(1);
      await aliceLaptop!.run("resync");
      expect((await aliceLaptop!.run("query", { model: "Diary" })).map((item: { entry: string }) => item.entry)).toEqual(["dear diary"]);
      for (const device of devices) expect(await device.run("errors")).toEqual([]);

      // The same items through syncpool's own API: Alice's client reads DataStore's entry, and its
      // write reaches her DataStore devices.
      const client = syncApi(server, alice.token);
      const page = await client.page("model-Diary");
      expect(page.records.map((record) => ({ key: record.key, kind: record.kind, value: materializeStoredJson(record.value) }))).toEqual([
        { key: saved.id, kind: "JSON", value: expect.objectContaining({ entry: "dear diary", owner: alice.identityId }) },
      ]);
      const clock = formatClock({ wallMs: Date.now(), counter: 0, deviceId: "alice-web" });
      await client.push({
        dataset: "model-Diary",
        deviceId: "alice-web",
        patches: [{ op: "REPLACE", key: "from-web", kind: "JSON", value: encodeJsonState(applyJsonPut(EMPTY_JSON_STATE, { entry: "written on the web", owner: alice.identityId }, clock)) }],
      });
      await aliceLaptop!.run("resync");
      expect(await aliceLaptop!.run("query", { model: "Diary", id: "from-web" })).toMatchObject({ entry: "written on the web", owner: alice.identityId });
    } finally {
      for (const device of devices) device.kill();
    }
  }, 60_000);
});
