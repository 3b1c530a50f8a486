/**
 * Several tabs of the notes app in one browser profile: they share the identity's IndexedDB
 * database, one tab leads sync (Web Locks), the others see changes through IndexedDB and a
 * BroadcastChannel, and the server receives every write exactly once. Sign-out with wipe removes
 * the database in every tab.
 */
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Patch } from "../../core/types.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { syncApi } from "../helpers/sync-api.js";
import { describeInBrowser, openChromium, type FileBrowser } from "./browser.js";
import {
  addTodo,
  bodyText,
  todoTitles,
  openApp,
  openTodo,
  startNotesApp,
  syncNow,
  transferOf,
  typeInBody,
  type NotesApp,
} from "./notes-app.js";
import { onPushSent } from "./wire-pushes.js";

/** A push as the browser sent it (the `pushRecords` input). */
interface SentPush {
  dataset: string;
  mutationId: string;
  patches: Patch[];
}

describeInBrowser("notes app in several tabs", () => {
  let server: TestServer;
  let app: NotesApp;
  let browser: FileBrowser;
  let context: BrowserContext;
  let tabs: Page[] = [];
  const pushes: SentPush[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    [app, browser] = await Promise.all([startNotesApp(server.url), openChromium()]);
    context = await browser.newContext({ viewport: { width: 1100, height: 560 } });
    // Every push any tab sends, read off the wire (HTTP or the live socket).
    onPushSent(context, (_page, push) => pushes.push(push as SentPush));
    tabs = [await context.newPage(), await context.newPage()];
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await server?.close();
  });

  const leaders = async (pages: Page[]) =>
    (await Promise.all(pages.map((page) => page.evaluate(() => window.notesApp.client.leadsSync)))).filter(Boolean).length;

  /** The server's view of `dataset` for the tabs' identity. */
  const serverView = async (page: Page, dataset: string) => {
    const { identityId, deviceSecret } = await transferOf(page);
    const { data } = await server.gql<{ signIn: { token: string } }>(
      `mutation ($input: SignInInput!) { signIn(input: $input) { token } }`,
      { input: { identityPoolId: "default", identityId, deviceSecret } },
    );
    return syncApi(server.graphqlUrl, data?.signIn.token).pullAll(dataset);
  };

  it("lets one tab lead sync and shows each tab's edits in the other", async () => {
    await openApp(tabs[0] as Page, app.url);
    await openApp(tabs[1] as Page, app.url);
    const [first, second] = tabs as [Page, Page];
    expect((await transferOf(second)).identityId).toBe((await transferOf(first)).identityId);
    await expect.poll(() => leaders(tabs)).toBe(1);

    await addTodo(first, "Shared");
    await expect.poll(() => todoTitles(second)).toEqual(["Shared"]);
    await openTodo(second, "Shared");
    await typeInBody(first, "end", "one");
    await expect.poll(() => bodyText(second)).toBe("one");
    await typeInBody(second, "start", "two ");
    await expect.poll(() => bodyText(first)).toBe("two one");
  });

  it("sends each write of two tabs writing at once to the server exactly once", async () => {
    pushes.length = 0;
    const writeMany = (page: Page, prefix: string) =>
      page.evaluate(async (prefix) => {
        const { client } = window.notesApp;
        for (let round = 0; round < 5; round++) {
          const keys = Array.from({ length: 5 }, (_, n) => `${prefix}-${round * 5 + n}`);
          await Promise.all(keys.map((key) => client.dataset("load").put(key, "v")));
          await client.sync();
        }
      }, prefix);
    const [first, second] = tabs as [Page, Page];
    await Promise.all([writeMany(first, "first"), writeMany(second, "second")]);
    await Promise.all([syncNow(first), syncNow(second)]);

    const sent = pushes.filter((push) => push.dataset === "load");
    const batches = new Map(sent.map((push) => [push.mutationId, push.patches.map((patch) => patch.key)]));
    const expected = ["first", "second"].flatMap((prefix) => Array.from({ length: 25 }, (_, n) => `${prefix}-${n}`));
    // No batch went out twice, and no write was in two batches.
    expect(sent).toHaveLength(batches.size);
    expect([...batches.values()].flat().sort()).toEqual(expected.sort());
    // Each applied push bumps the dataset's count by one: the server applied exactly these batches.
    const view = await serverView(first, "load");
    expect(view.records).toHaveLength(50);
    expect(view.datasetSyncCount).toBe(batches.size);
    expect(await first.evaluate(() => window.notesApp.client.dataset("load").pendingCount())).toBe(0);
  });

  it("hands the lead to another tab when the leading one closes", async () => {
    tabs.push(await context.newPage());
    await openApp(tabs[2] as Page, app.url);
    await expect.poll(() => leaders(tabs)).toBe(1);
    const leaderFlags = await Promise.all(tabs.map((page) => page.evaluate(() => window.notesApp.client.leadsSync)));
    const leader = tabs[leaderFlags.indexOf(true)] as Page;
    await leader.close();
    tabs = tabs.filter((page) => page !== leader);
    await expect.poll(() => leaders(tabs)).toBe(1);

    // A follower's write reaches the server through the new leader, with no explicit sync.
    const newFlags = await Promise.all(tabs.map((page) => page.evaluate(() => window.notesApp.client.leadsSync)));
    const follower = tabs[newFlags.indexOf(false)] as Page;
    await follower.evaluate(() => window.notesApp.client.dataset("load").put("after-handover", "yes"));
    await expect
      .poll(async () => (await serverView(follower, "load")).records.some((record) => record.key === "after-handover"))
      .toBe(true);
  });

  it("deletes the identity's database in every tab on sign-out with wipe", async () => {
    const [first] = tabs as [Page];
    const { identityId } = await transferOf(first);
    await first.click("#wipe");
    for (const tab of tabs) await tab.locator("#signed-out").waitFor({ state: "visible" });
    const names = await first.evaluate(async () => (await indexedDB.databases()).map((database) => database.name));
    expect(names).not.toContain(`syncpool:${identityId}`);

    // The next guest on this browser starts empty.
    await first.click("#sign-in");
    await first.locator("#signed-in").waitFor({ state: "visible" });
    expect((await transferOf(first)).identityId).not.toBe(identityId);
    expect(await todoTitles(first)).toEqual([]);
  });
});
