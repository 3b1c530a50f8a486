/**
 * Unmodified Amplify DataStore (aws-amplify 6.22, @aws-amplify/datastore 5.1) live against
 * syncpool: each device is its own Node process with its own IndexedDB (fake-indexeddb), signed in
 * (a syncpool identity token) and holding the pool's API key, with DataStore's MULTI_AUTH strategy
 * (the key for public models, the token for owner ones), and its subscriptions open on the model
 * API's realtime WebSocket. What a device's app sees is what `DataStore.observe` emits; that a
 * change came live, not by a sync, is read off the device's network: no sync query was sent.
 *
 * - two devices of one user create, update, delete and observe to-dos, one offline for a while,
 *   and converge;
 * - a DataStore write reaches syncpool's own client (client/, on fake-indexeddb, the model's
 *   dataset shared with the pool) live and the event stream, and the client's writes reach
 *   DataStore's `observe` live;
 * - a second user sees none of the first user's owner items and every public one, live as well.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { materializeStoredJson } from "../../core/shown-value.js";
import { poolSettingsSchema } from "../../server/config.js";
import { issueApiKey } from "../helpers/datastore-api-key-pair.js";
import { startDevice, type Device, type DeviceWire } from "../helpers/datastore-device.js";
import { TestNetwork } from "../helpers/client-network.js";
import { storedModelItem } from "../helpers/stored-model-item.js";
import { streamApi } from "../helpers/stream-api.js";

const ADMIN_TOKEN = "admin-token-for-datastore-live-0123456789";
/** The app's schema.graphql; test/helpers/datastore-device.cjs holds what codegen makes of it. */
const SCHEMA = `
  type Todo @model @auth(rules: [{ allow: public }]) { id: ID! title: String! done: Boolean }
  type Note @model @auth(rules: [{ allow: public }]) { id: ID! content: String! }
  type Diary @model @auth(rules: [{ allow: owner }]) { id: ID! entry: String! }
`;
/** Three subscriptions (onCreate, onUpdate, onDelete) for each of Todo, Note and Diary. */
const SUBSCRIPTIONS = 9;

interface Observed {
  model: string;
  opType: "INSERT" | "UPDATE" | "DELETE";
  element: Record<string, unknown> & { id: string };
}

// Each device is a Node process starting DataStore: 25 s for the first test was seen on 2 cores at load 30.
describe("Amplify DataStore live against syncpool", { timeout: 90_000 }, () => {
  let net: TestNetwork;
  let endpoint: string;
  let apiKey: string;
  const devices: Device[] = [];

  /** A started device of the user whose token it is, its subscriptions open and observing every model. */
  async function signedInDevice(token: string): Promise<Device> {
    const device = await startDevice(endpoint, { apiKey, token });
    devices.push(device);
    await device.run("start");
    for (const model of ["Todo", "Note", "Diary"]) await device.run("observe", { model });
    // DataStore says its subscriptions are established before the server acknowledged them:
    // wait for the acknowledgements themselves, so no write races a subscription's start.
    await expect.poll(async () => (await device.run<DeviceWire>("wire")).openSubscriptions, { timeout: 20_000 }).toBe(SUBSCRIPTIONS);
    return device;
  }
  const observed = (device: Device, model: string) => device.run<Observed[]>("observed", { model });
  const syncQueries = async (device: Device) => (await device.run<DeviceWire>("wire")).syncQueries;
  /**
   * Waits until the server has answered `writes` of `device`'s writes of item `id`. While a write
   * of an item waits in a device's outbox, its DataStore sets aside what the socket brings of that
   * item: another device changes it only after this (on a busy machine the answer can come after
   * the other device has seen the write).
   */
  const answered = (device: Device, id: string, writes: number) => expect.poll(() => device.run<number>("answered", { id }), { timeout: 20_000 }).toBe(writes);
  /** The public model's item as the server stores it, or null. */
  const stored = (model: string, id: string) => storedModelItem(net.server!.storage, "_shared:app", model, id);
  /**
   * Rethrows a poll's failure with what the server stored of the item and what each device's
   * socket saw, so a write that never reached the server can be told from a notice that never
   * reached the device, or one the device got but did not show.
   */
  const withWhereItStopped = async (error: unknown, model: string, id: string, named: Record<string, Device>): Promise<never> => {
    const wires = await Promise.all(Object.entries(named).map(async ([name, device]) => `${name} ${JSON.stringify(await device.run<DeviceWire>("wire"))}`));
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\nserver stores ${JSON.stringify(await stored(model, id))}\n${wires.join("\n")}`, { cause: error });
  };
  const todosOf = async (device: Device) =>
    ((await device.run("query", { model: "Todo" })) as Array<{ id: string; title: string; done: boolean | null }>)
      .map(({ id, title, done }) => ({ id, title, done }))
      .sort((a, b) => a.id.localeCompare(b.id));

  beforeAll(async () => {
    const pool = poolSettingsSchema.parse({
      id: "app",
      models: { schema: SCHEMA, conflictHandler: "AUTOMERGE" },
      // The web app reads and writes the public to-dos through syncpool's own client.
      sharedDatasets: [{ name: "model-Todo", owner: "pool", read: ["any"], write: ["any"] }],
    });
    net = await TestNetwork.start({ config: { pools: [pool], adminToken: ADMIN_TOKEN } });
    apiKey = await issueApiKey(net.server!, ADMIN_TOKEN, "app");
    endpoint = `${net.server!.url}/appsync/app/graphql`;
  }, 60_000);
  afterAll(async () => {
    for (const device of devices) device.kill();
    await net?.close();
  });

  it("keeps two devices of one user in step: creates, updates and deletes reach the other's observe live, and an offline device's edits merge when it is back", async () => {
    const alice = await net.server!.signInGuest("app");
    const [phone, laptop] = await Promise.all([signedInDevice(alice.token), signedInDevice(alice.token)]);
    const [phoneSyncs, laptopSyncs] = [await syncQueries(phone), await syncQueries(laptop)];
    // Each sent its base sync's queries (one per model) when it started, and none since.
    expect(Math.min(phoneSyncs, laptopSyncs)).toBeGreaterThanOrEqual(3);

    const milk = await phone.run("save", { model: "Todo", fields: { title: "milk", done: false } });
    await expect
      .poll(() => observed(laptop, "Todo"), { timeout: 15_000 })
      .toContainEqual(expect.objectContaining({ opType: "INSERT", element: expect.objectContaining({ id: milk.id, title: "milk", done: false }) }))
      .catch((error: unknown) => withWhereItStopped(error, "Todo", milk.id, { phone, laptop }));
    await answered(phone, milk.id, 1);
    await laptop.run("update", { model: "Todo", id: milk.id, fields: { done: true } });
    await expect
      .poll(() => observed(phone, "Todo"), { timeout: 15_000 })
      .toContainEqual(expect.objectContaining({ opType: "UPDATE", element: expect.objectContaining({ id: milk.id, title: "milk", done: true }) }))
      .catch((error: unknown) => withWhereItStopped(error, "Todo", milk.id, { phone, laptop }));
    // Both heard it over realtime: neither sent a sync query since it started.
    expect([await syncQueries(phone), await syncQueries(laptop)]).toEqual([phoneSyncs, laptopSyncs]);

    // The laptop goes offline (its tick answered). Meanwhile the phone renames; the laptop unticks and adds a to-do.
    await answered(laptop, milk.id, 1);
    await laptop.run("network", { online: false });
    await phone.run("update", { model: "Todo", id: milk.id, fields: { title: "oat milk" } });
    await expect.poll(() => stored("Todo", milk.id), { timeout: 15_000 }).toMatchObject({ title: "oat milk", done: true });
    await laptop.run("update", { model: "Todo", id: milk.id, fields: { done: false } });
    const bread = await laptop.run("save", { model: "Todo", fields: { title: "bread", done: false } });
    expect(await stored("Todo", bread.id)).toBeNull();
    // Its app saw its own edits while offline.
    await expect.poll(() => observed(laptop, "Todo")).toContainEqual(expect.objectContaining({ opType: "INSERT", element: expect.objectContaining({ id: bread.id }) }));

    // Back online, the laptop's outbox goes up and both hold both edits.
    await laptop.run("network", { online: true });
    await expect.poll(() => observed(phone, "Todo"), { timeout: 20_000 }).toContainEqual(expect.objectContaining({ opType: "INSERT", element: expect.objectContaining({ id: bread.id, title: "bread" }) }));
    const expected = [
      { id: milk.id, title: "oat milk", done: false },
      { id: bread.id, title: "bread", done: false },
    ].sort((a, b) => a.id.localeCompare(b.id));
    await expect.poll(() => todosOf(phone), { timeout: 20_000 }).toEqual(expected);
    await expect.poll(() => todosOf(laptop), { timeout: 20_000 }).toEqual(expected);

    // A delete on the phone reaches the laptop's observe live.
    const laptopSyncsBefore = await syncQueries(laptop);
    await answered(laptop, bread.id, 1);
    await phone.run("remove", { model: "Todo", id: bread.id });
    await expect.poll(() => observed(laptop, "Todo"), { timeout: 15_000 }).toContainEqual(expect.objectContaining({ opType: "DELETE", element: expect.objectContaining({ id: bread.id }) }));
    expect(await todosOf(laptop)).toEqual([{ id: milk.id, title: "oat milk", done: false }]);
    expect(await syncQueries(laptop)).toBe(laptopSyncsBefore);
    expect(await stored("Todo", bread.id)).toMatchObject({ _deleted: true });
    for (const device of [phone, laptop]) expect(await device.run("errors")).toEqual([]);
  });

  it("shows a DataStore write to the user's syncpool client live and in the event stream, and the client's writes in DataStore's observe live, for public and owner models", async () => {
    const alice = await net.server!.signInGuest("app");
    const phone = await signedInDevice(alice.token);
    const link = net.device("web");
    const client: SyncClient = link.client({ identityPoolId: "app", live: true, WebSocket: link.WebSocket });
    // The same user's web app: syncpool's client, signed in as the identity DataStore's token stands for.
    await client.signIn({ identityId: alice.identityId, deviceSecret: alice.deviceSecret });
    const todos = client.sharedDataset<{ title: string; done: boolean; _deleted?: boolean }>("model-Todo");
    await todos.sync();

    const saved = await phone.run("save", { model: "Todo", fields: { title: "from DataStore", done: false } });
    // The client is told live (it never syncs here).
    await expect.poll(() => todos.get(saved.id), { timeout: 15_000 }).toMatchObject({ title: "from DataStore", done: false });
    const events = await streamApi(net.server!, ADMIN_TOKEN).readPool("app");
    expect(events.map((event) => event.data)).toContainEqual(
      expect.objectContaining({
        identityId: "_shared:app",
        dataSetName: "model-Todo",
        deviceId: "appsync",
        kinesisSyncRecords: [expect.objectContaining({ key: saved.id, op: "replace", kind: "JSON", value: expect.stringContaining("from DataStore") })],
      }),
    );

    const phoneSyncs = await syncQueries(phone);
    await todos.put("from-web", { title: "written on the web", done: false });
    await client.sync();
    await expect.poll(() => observed(phone, "Todo"), { timeout: 15_000 }).toContainEqual(expect.objectContaining({ opType: "INSERT", element: expect.objectContaining({ id: "from-web", title: "written on the web", done: false }) }));
    await todos.update("from-web", { done: true });
    await client.sync();
    await expect.poll(() => observed(phone, "Todo"), { timeout: 15_000 }).toContainEqual(expect.objectContaining({ opType: "UPDATE", element: expect.objectContaining({ id: "from-web", title: "written on the web", done: true }) }));
    // A soft delete, as DataStore deletes, is an onDelete.
    await todos.update("from-web", { _deleted: true });
    await client.sync();
    await expect.poll(() => observed(phone, "Todo"), { timeout: 15_000 }).toContainEqual(expect.objectContaining({ opType: "DELETE", element: expect.objectContaining({ id: "from-web" }) }));
    expect(await phone.run("query", { model: "Todo", id: "from-web" })).toBeNull();

    // The owner model lives in the user's own dataset: both ways, live, there too.
    const diary = client.dataset<{ entry: string; owner: string }>("model-Diary");
    await diary.sync();
    const entry = await phone.run("save", { model: "Diary", fields: { entry: "from DataStore" } });
    await expect.poll(() => diary.get(entry.id), { timeout: 15_000 }).toMatchObject({ entry: "from DataStore", owner: alice.identityId });
    await diary.put("diary-from-web", { entry: "written on the web", owner: alice.identityId });
    await client.sync();
    await expect.poll(() => observed(phone, "Diary"), { timeout: 15_000 }).toContainEqual(expect.objectContaining({ opType: "INSERT", element: expect.objectContaining({ id: "diary-from-web", entry: "written on the web" }) }));
    expect(await syncQueries(phone)).toBe(phoneSyncs);
    expect(await phone.run("errors")).toEqual([]);
  });

  it("shows a second user none of the first user's owner items and every public one, live as well", async () => {
    const alice = await net.server!.signInGuest("app");
    const bob = await net.server!.signInGuest("app");
    const alicePhone = await signedInDevice(alice.token);
    await alicePhone.run("save", { model: "Diary", fields: { entry: "alice's first" } });
    await alicePhone.run("save", { model: "Todo", fields: { title: "public before bob", done: false } });
    await expect.poll(async () => (await net.server!.storage.datasets.readRecords(alice.identityId, "model-Diary", { sinceSyncCount: 0, limit: 10 })).records.length, { timeout: 15_000 }).toBe(1);

    const [aliceLaptop, bobPhone] = await Promise.all([signedInDevice(alice.token), signedInDevice(bob.token)]);
    // Every public to-do the server holds (earlier tests' too, deleted ones aside), and no diary.
    const publicTodos = (await net.server!.storage.datasets.readRecords("_shared:app", "model-Todo", { sinceSyncCount: 0, limit: 1000 })).records
      .map((record) => ({ id: record.key, ...(materializeStoredJson(record.value) as { title: string; done: boolean | null; _deleted?: boolean }) }))
      .filter((item) => item._deleted !== true)
      .map(({ id, title, done }) => ({ id, title, done }))
      .sort((a, b) => a.id.localeCompare(b.id));
    expect(publicTodos.map((todo) => todo.title)).toContain("public before bob");
    await expect.poll(() => todosOf(bobPhone), { timeout: 15_000 }).toEqual(publicTodos);
    expect(await bobPhone.run("query", { model: "Diary" })).toEqual([]);
    expect((await aliceLaptop.run("query", { model: "Diary" })).map((item: { entry: string }) => item.entry)).toEqual(["alice's first"]);

    // Live: alice writes a diary entry, then a public to-do. Her laptop hears both; bob hears the
    // to-do, and no diary (events reach a socket in commit order: a diary would have come first).
    const entry = await alicePhone.run("save", { model: "Diary", fields: { entry: "alice's second" } });
    await expect.poll(() => observed(aliceLaptop, "Diary"), { timeout: 15_000 }).toContainEqual(expect.objectContaining({ opType: "INSERT", element: expect.objectContaining({ id: entry.id, entry: "alice's second", owner: alice.identityId }) }));
    const todo = await alicePhone.run("save", { model: "Todo", fields: { title: "public after bob", done: false } });
    await expect.poll(() => observed(bobPhone, "Todo"), { timeout: 15_000 }).toContainEqual(expect.objectContaining({ opType: "INSERT", element: expect.objectContaining({ id: todo.id, title: "public after bob" }) }));
    expect(await observed(bobPhone, "Diary")).toEqual([]);
    expect(await bobPhone.run("query", { model: "Diary" })).toEqual([]);

    // Bob's own entry stays his.
    const bobs = await bobPhone.run("save", { model: "Diary", fields: { entry: "bob's" } });
    await expect.poll(() => observed(bobPhone, "Diary"), { timeout: 15_000 }).toContainEqual(expect.objectContaining({ element: expect.objectContaining({ id: bobs.id }) }));
    await expect.poll(async () => (await net.server!.storage.datasets.readRecords(bob.identityId, "model-Diary", { sinceSyncCount: 0, limit: 10 })).records.length, { timeout: 15_000 }).toBe(1);
    await aliceLaptop.run("resync");
    expect((await aliceLaptop.run("query", { model: "Diary" })).map((item: { entry: string }) => item.entry).sort()).toEqual(["alice's first", "alice's second"]);
    for (const device of [alicePhone, aliceLaptop, bobPhone]) expect(await device.run("errors")).toEqual([]);
  });
});
