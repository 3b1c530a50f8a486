/**
 * Unmodified Amplify DataStore (aws-amplify 6.22, @aws-amplify/datastore 5.1) in Chromium, on its
 * own IndexedDB adapter, syncing against syncpool's model API: two devices of one user (two
 * browser contexts, so two IndexedDB databases) create, update and delete to-dos of an owner model
 * and see each other's writes live, one of them offline for a while (`context.setOffline`), and
 * they converge; a second user sees none of the first user's to-dos. Auth is a syncpool identity
 * token in DataStore's `oidc` mode, as in test/integration/datastore-sync.test.ts.
 *
 * Served as a deployment serves it: the sync server listens with TLS (a certificate made for the
 * test, `test/helpers/tls-cert.ts`) and the page comes over https from a preview server that
 * proxies `/appsync`, WebSockets included, so the page's realtime socket is a real `wss://`
 * connection (aws-amplify opens no other). Chromium ignores the certificate's being self-signed.
 * A write reaches the other device over that socket: the other device's count of sync queries
 * (`syncQueriesStarted`) stays as it was, so no sync carried it.
 */
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig, poolSettingsSchema } from "../../server/config.js";
import { materializeStoredJson } from "../../core/shown-value.js";
import { startTestServer, testFetch, type TestServer } from "../helpers/server.js";
import { makeTlsCert } from "../helpers/tls-cert.js";
import { describeInBrowser, openChromium, type FileBrowser } from "./browser.js";
import { startDatastoreApp, type DatastoreApp } from "./datastore-app.js";
import type { HubEvent, TodoItem } from "./datastore-app/main.js";

/** The app's schema.graphql; test/e2e/datastore-app/main.ts holds what codegen makes of it. */
const SCHEMA = `type Todo @model @auth(rules: [{ allow: owner }]) { id: ID! title: String! done: Boolean }`;

/** One device: a browser context of its own with the DataStore page open. */
interface Device {
  context: BrowserContext;
  page: Page;
}

describeInBrowser("Amplify DataStore in Chromium on two devices", () => {
  let server: TestServer;
  let app: DatastoreApp;
  let browser: FileBrowser;
  let alice: { identityId: string; token: string };
  let bob: { identityId: string; token: string };
  let phone: Device;
  let laptop: Device;

  async function openDevice(token: string): Promise<Device> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${app.url}?token=${encodeURIComponent(token)}`);
    await page.waitForFunction(() => window.datastoreApp !== undefined);
    await page.evaluate(() => window.datastoreApp.start());
    // Its realtime subscriptions are up: from now on the other device's writes reach it live.
    await page.waitForFunction(() => window.datastoreApp.events.some((event) => event.event === "subscriptionsEstablished"), undefined, { timeout: 30_000 });
    return { context, page };
  }

  const create = (device: Device, title: string) => device.page.evaluate((text) => window.datastoreApp.create(text), title);
  const update = (device: Device, id: string, fields: Partial<Pick<TodoItem, "title" | "done">>) =>
    device.page.evaluate(([itemId, changes]) => window.datastoreApp.update(itemId, changes), [id, fields] as const);
  const remove = (device: Device, id: string) => device.page.evaluate((itemId) => window.datastoreApp.remove(itemId), id);
  const resync = (device: Device) => device.page.evaluate(() => window.datastoreApp.resync());
  /** The device's to-dos as the test compares them: title and done, by title. */
  const shown = async (device: Device) =>
    (await device.page.evaluate(() => window.datastoreApp.list())).map((todo) => ({ title: todo.title, done: todo.done }));
  const hubEvents = (device: Device): Promise<HubEvent[]> => device.page.evaluate(() => window.datastoreApp.events);
  const countEvents = async (device: Device, name: string) => (await hubEvents(device)).filter((event) => event.event === name).length;
  /** Whether the device's DataStore has established its realtime subscriptions since it last went offline. */
  const realtimeUp = async (device: Device) => {
    const events = await hubEvents(device);
    const wentOffline = events.findLastIndex((event) => event.event === "networkStatus" && !(event.data as { active: boolean }).active);
    return events.findLastIndex((event) => event.event === "subscriptionsEstablished") > wentOffline;
  };
  /** The last `outboxStatus` the device's DataStore reported: whether its outbox is empty. */
  const outboxEmpty = async (device: Device) => {
    const statuses = (await hubEvents(device)).filter((event) => event.event === "outboxStatus");
    return (statuses.at(-1)?.data as { isEmpty: boolean } | undefined)?.isEmpty;
  };

  /**
   * Waits for the server's answers to `device`'s writes of item `id` (`outboxMutationProcessed`,
   * sent once the write has left the outbox). While a write of an item waits in its outbox,
   * DataStore sets aside what the realtime socket brings of that item, so another device's next
   * change to it must come after this.
   */
  const answered = async (device: Device, id: string, writes: number) => {
    const count = async () => (await hubEvents(device)).filter((event) => event.event === "outboxMutationProcessed" && (event.data as { element?: { id?: string } }).element?.id === id).length;
    await expect.poll(count, { timeout: 20_000 }).toBe(writes);
  };

  /** The identity's to-dos as the server stores them, by title. */
  const stored = async (identityId: string) => {
    const page = await server.storage.datasets.readRecords(identityId, "model-Todo", { sinceSyncCount: 0, limit: 1000 });
    return page.records
      .map((record) => materializeStoredJson(record.value) as { title: string; done: boolean | null; owner: string; _deleted?: boolean })
      .sort((a, b) => a.title.localeCompare(b.title));
  };
  const storedItem = async (identityId: string, title: string) => (await stored(identityId)).find((item) => item.title === title) ?? null;

  /** A guest of the pool, signed in in-process (the helper's global fetch does not trust the test's certificate). */
  const signInGuest = async () => {
    const response = await testFetch(server.server)(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `mutation { signIn(input: { identityPoolId: "app" }) { identityId token } }` }),
    });
    return ((await response.json()) as { data: { signIn: { identityId: string; token: string } } }).data.signIn;
  };

  beforeAll(async () => {
    const tls = makeTlsCert();
    server = await startTestServer({
      config: {
        tls: loadConfig({ SYNCPOOL_TLS_CERT_FILE: tls.certFile, SYNCPOOL_TLS_KEY_FILE: tls.keyFile }).tls,
        pools: [poolSettingsSchema.parse({ id: "app", models: { schema: SCHEMA } })],
      },
    });
    [app, browser] = await Promise.all([startDatastoreApp(server.url, tls), openChromium()]);
    [alice, bob] = await Promise.all([signInGuest(), signInGuest()]);
    [phone, laptop] = await Promise.all([openDevice(alice.token), openDevice(alice.token)]);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await server?.close();
  });

  it("carries a create, an update and a delete from one device to the other live, over wss", async () => {
    const [phoneSyncs, laptopSyncs] = await Promise.all([countEvents(phone, "syncQueriesStarted"), countEvents(laptop, "syncQueriesStarted")]);
    const milk = await create(phone, "buy milk");
    await expect.poll(() => shown(laptop), { timeout: 20_000 }).toEqual([{ title: "buy milk", done: false }]);
    await answered(phone, milk.id, 1);

    await update(laptop, milk.id, { done: true });
    await expect.poll(() => shown(phone), { timeout: 20_000 }).toEqual([{ title: "buy milk", done: true }]);
    await answered(laptop, milk.id, 1);

    await remove(phone, milk.id);
    await expect.poll(() => shown(laptop), { timeout: 20_000 }).toEqual([]);
    expect(await shown(phone)).toEqual([]);
    expect(await storedItem(alice.identityId, "buy milk")).toMatchObject({ _deleted: true });
    // No sync ran on either device: every change came over the realtime socket.
    expect([await countEvents(phone, "syncQueriesStarted"), await countEvents(laptop, "syncQueriesStarted")]).toEqual([phoneSyncs, laptopSyncs]);
  });

  it("queues a device's writes while it is offline and converges with the other device once it is back", async () => {
    const call = await create(phone, "call mom");
    const plants = await create(phone, "water plants");
    await expect.poll(() => shown(laptop), { timeout: 20_000 }).toEqual([
      { title: "call mom", done: false },
      { title: "water plants", done: false },
    ]);

    await laptop.context.setOffline(true);
    await expect.poll(() => laptop.page.evaluate(() => document.body.dataset.online)).toBe("false");
    // Offline: one to-do ticked, one added, one deleted; DataStore keeps them in its outbox.
    await update(laptop, call.id, { done: true });
    await create(laptop, "written offline");
    await remove(laptop, plants.id);
    expect(await outboxEmpty(laptop)).toBe(false);
    // Meanwhile the phone, online, renames the to-do the laptop ticked; the laptop cannot hear of it.
    await update(phone, call.id, { title: "call mom tonight" });
    await expect.poll(() => storedItem(alice.identityId, "call mom tonight"), { timeout: 20_000 }).toMatchObject({ done: false });
    expect(await storedItem(alice.identityId, "written offline")).toBeNull();
    expect((await shown(laptop)).map((todo) => todo.title)).toEqual(["call mom", "written offline"]);

    await laptop.context.setOffline(false);
    await expect.poll(() => outboxEmpty(laptop), { timeout: 30_000 }).toBe(true);
    // The server merged the tick into the renamed to-do (AUTOMERGE: different fields both survive).
    const expected = [
      { title: "call mom tonight", done: true },
      { title: "written offline", done: false },
    ];
    const live = (await stored(alice.identityId)).filter((item) => !item._deleted).map(({ title, done }) => ({ title, done }));
    expect(live).toEqual(expected);
    expect(await storedItem(alice.identityId, "water plants")).toMatchObject({ _deleted: true });
    // The phone, online throughout, hears of the laptop's queued writes live; the laptop catches up on reconnecting.
    await expect.poll(() => shown(phone), { timeout: 20_000 }).toEqual(expected);
    await expect.poll(() => shown(laptop), { timeout: 20_000 }).toEqual(expected);
    // Back online, the laptop has its realtime socket again: a write of the phone reaches it live.
    await expect.poll(() => realtimeUp(laptop), { timeout: 30_000 }).toBe(true);
    const laptopSyncs = await countEvents(laptop, "syncQueriesStarted");
    await update(phone, call.id, { done: false });
    await expect.poll(() => shown(laptop), { timeout: 20_000 }).toEqual([{ title: "call mom tonight", done: false }, expected[1]]);
    expect(await countEvents(laptop, "syncQueriesStarted")).toBe(laptopSyncs);
    for (const device of [phone, laptop]) expect(await device.page.evaluate(() => window.datastoreApp.errors)).toEqual([]);
  });

  it("shows a second user none of the first user's to-dos, and keeps the second user's out of the first's devices", async () => {
    const bobsPhone = await openDevice(bob.token);
    try {
      expect(await shown(bobsPhone)).toEqual([]);
      await create(bobsPhone, "bob's errand");
      await expect.poll(() => storedItem(bob.identityId, "bob's errand"), { timeout: 20_000 }).toMatchObject({ owner: bob.identityId });
      // Alice writes after Bob: by the time her laptop sees her write live, a leak of Bob's would have had as long to arrive.
      await create(phone, "after bob");
      await expect.poll(async () => (await shown(laptop)).map((todo) => todo.title), { timeout: 20_000 }).toEqual(["after bob", "call mom tonight", "written offline"]);
      await resync(phone);
      expect((await shown(phone)).map((todo) => todo.title)).toEqual(["after bob", "call mom tonight", "written offline"]);
      expect(await shown(bobsPhone)).toEqual([{ title: "bob's errand", done: false }]);
      expect(await storedItem(alice.identityId, "bob's errand")).toBeNull();
      expect(await bobsPhone.page.evaluate(() => window.datastoreApp.errors)).toEqual([]);
    } finally {
      await bobsPhone.context.close();
    }
  });
});
