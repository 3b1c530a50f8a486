/**
 * In Chromium: a second `createClient` in the notes app's page (the same IndexedDB, the same
 * identity) follows the app's client instead of leading sync too; a wipe by it signs the app's
 * client out; and its watcher, made before `signIn()`, follows every sign-in and sign-out.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { describeInBrowser, openChromium, type FileBrowser } from "./browser.js";
import { bundleClientForPage } from "./client-script.js";
import { openApp, startNotesApp, transferOf, type NotesApp } from "./notes-app.js";

describeInBrowser("a second client in the same page", () => {
  let server: TestServer;
  let app: NotesApp;
  let browser: FileBrowser;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    [app, browser] = await Promise.all([startNotesApp(server.url), openChromium()]);
    page = await browser.newPage();
    await openApp(page, app.url);
    await page.addScriptTag({ content: await bundleClientForPage() });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await server?.close();
  });

  const seen = () => page.evaluate(() => (window as unknown as { seen: Array<string | null> }).seen);
  const leaders = () =>
    page.evaluate(() => {
      const scope = window as unknown as { second: { leadsSync: boolean }; notesApp: { client: { leadsSync: boolean } } };
      return [scope.notesApp.client.leadsSync, scope.second.leadsSync].filter(Boolean).length;
    });

  it("follows the app's client, is followed by its watcher, and wipes for both", async () => {
    const appIdentity = (await transferOf(page)).identityId;
    const identityId = await page.evaluate(async () => {
      const scope = window as unknown as {
        syncpool: typeof import("../../client/index.js");
        second: import("../../client/index.js").SyncClient;
        seen: Array<string | null>;
      };
      const client = scope.syncpool.createClient({ endpoint: new URL("/graphql", location.href).href, identityPoolId: "default" });
      scope.second = client;
      scope.seen = [];
      // Made before signIn(): it must keep working after it.
      client.dataset("e2e").watch("k", (value) => scope.seen.push(value ?? null));
      const { identityId } = await client.signIn();
      await client.dataset("e2e").put("k", "v1");
      return identityId;
    });
    expect(identityId).toBe(appIdentity);
    await expect.poll(seen).toEqual([null, "v1"]);
    await expect.poll(leaders).toBe(1);

    await page.evaluate(() => (window as unknown as { second: { signOut(o: { wipe: boolean }): Promise<void> } }).second.signOut({ wipe: true }));
    await expect.poll(() => page.evaluate(() => window.notesApp.client.identityId)).toBeNull();
    const names = await page.evaluate(async () => (await indexedDB.databases()).map((db) => db.name));
    expect(names).not.toContain(`syncpool:${identityId}`);
    await expect.poll(seen).toEqual([null, "v1", null]);

    const next = await page.evaluate(async () => {
      const client = (window as unknown as { second: import("../../client/index.js").SyncClient }).second;
      const result = await client.signIn();
      await client.dataset("e2e").put("k", "v2");
      return result.identityId;
    });
    expect(next).not.toBe(identityId);
    await expect.poll(seen).toEqual([null, "v1", null, "v2"]);
  });
});
