/**
 * Two tabs of the notes app in a browser without Web Locks (`navigator.locks` removed before the
 * page loads, as in older Safari): the lease row in the shared database elects one leader, and
 * only that tab talks to the sync server, the other tab's writes included.
 */
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { describeInBrowser, openChromium, type FileBrowser } from "./browser.js";
import { openApp, startNotesApp, transferOf, type NotesApp } from "./notes-app.js";
import { onPushSent } from "./wire-pushes.js";

describeInBrowser("notes app in two tabs without Web Locks", () => {
  let server: TestServer;
  let app: NotesApp;
  let browser: FileBrowser;
  let context: BrowserContext;
  let tabs: [Page, Page];
  /** Per page, the keys of every push it sent, read off the wire. */
  const pushedBy = new Map<Page, string[]>();

  beforeAll(async () => {
    server = await startTestServer();
    [app, browser] = await Promise.all([startNotesApp(server.url), openChromium()]);
    context = await browser.newContext();
    await context.addInitScript(() => {
      delete (Navigator.prototype as { locks?: unknown }).locks;
    });
    onPushSent(context, (page, push) => pushedBy.set(page, [...(pushedBy.get(page) ?? []), ...push.patches.map((patch) => patch.key)]));
    tabs = [await context.newPage(), await context.newPage()];
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await server?.close();
  });

  const leadFlags = () => Promise.all(tabs.map((page) => page.evaluate(() => window.notesApp.client.leadsSync)));

  it("lets exactly one tab sync, pushing the other tab's writes once", async () => {
    // One tab after the other: without Web Locks the first sign-in on a device is not serialized.
    await openApp(tabs[0], app.url);
    await openApp(tabs[1], app.url);
    expect((await transferOf(tabs[1])).identityId).toBe((await transferOf(tabs[0])).identityId);
    expect(await tabs[0].evaluate(() => "locks" in navigator)).toBe(false);
    await expect.poll(async () => (await leadFlags()).filter(Boolean).length).toBe(1);

    const flags = await leadFlags();
    const leader = tabs[flags.indexOf(true)] as Page;
    const follower = tabs[flags.indexOf(false)] as Page;
    await follower.evaluate(() => window.notesApp.client.dataset("lease").put("from-follower", "f"));
    await leader.evaluate(() => window.notesApp.client.dataset("lease").put("from-leader", "l"));
    await expect.poll(() => [...(pushedBy.get(leader) ?? [])].filter((key) => key.startsWith("from-")).sort()).toEqual(["from-follower", "from-leader"]);
    await expect.poll(() => follower.evaluate(() => window.notesApp.client.dataset("lease").pendingCount())).toBe(0);
    // The follower never pushed, and is still following.
    expect(pushedBy.get(follower) ?? []).toEqual([]);
    expect(await leadFlags()).toEqual(flags);
  });
});
