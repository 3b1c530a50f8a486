/**
 * Two devices of one identity in a real browser: two Chromium contexts (separate profiles, so
 * separate IndexedDB) running the family to-do app against a real sync server. One goes offline,
 * adds a to-do, renames another and edits its notes body; the other ticks that to-do done and
 * edits the same body; after reconnecting both show the same list, the new title ticked done, and
 * a body holding both edits. Then a to-do added on one shows on the other live (no sync, no polling).
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { describeInBrowser, openChromium, type FileBrowser } from "./browser.js";
import {
  addTodo,
  bodyText,
  todoTitles,
  openApp,
  openTodo,
  pendingShown,
  renameOpenTodo,
  screenshot,
  sideBySide,
  startNotesApp,
  syncNow,
  tickTodo,
  todosShown,
  transferOf,
  typeInBody,
  type NotesApp,
} from "./notes-app.js";

describeInBrowser("notes app on two devices", () => {
  let server: TestServer;
  let app: NotesApp;
  let browser: FileBrowser;
  let contextA: BrowserContext;
  let contextB: BrowserContext;
  let deviceA: Page;
  let deviceB: Page;

  beforeAll(async () => {
    server = await startTestServer();
    [app, browser] = await Promise.all([startNotesApp(server.url), openChromium()]);
    const viewport = { width: 900, height: 480 };
    contextA = await browser.newContext({ viewport });
    contextB = await browser.newContext({ viewport, colorScheme: "dark" });
    deviceA = await contextA.newPage();
    deviceB = await contextB.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await server?.close();
  });

  it("moves a guest to a second device with the transfer link and pulls its to-dos", async () => {
    await openApp(deviceA, app.url);
    await addTodo(deviceA, "Groceries");
    await deviceA.locator("#note-body:not([disabled])").waitFor();
    await typeInBody(deviceA, "end", "milk");
    await deviceA.selectOption("#theme", "dark");
    await syncNow(deviceA);
    expect(await pendingShown(deviceA)).toBe(0);

    await openApp(deviceB, app.url, await transferOf(deviceA));
    await syncNow(deviceB);
    expect(await todoTitles(deviceB)).toEqual(["Groceries"]);
    await openTodo(deviceB, "Groceries");
    expect(await bodyText(deviceB)).toBe("milk");
    expect(await deviceB.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    // The first sync on B fetched everything with a known total: the progress bar filled up.
    const progress = deviceB.locator("#sync-progress");
    expect(Number(await progress.getAttribute("data-total"))).toBeGreaterThanOrEqual(3);
    expect(await progress.getAttribute("data-fetched")).toBe(await progress.getAttribute("data-total"));
  });

  it("merges to-dos, a rename and a tick of one to-do, and body edits made while one device was offline", async () => {
    await contextA.setOffline(true);
    await expect.poll(() => deviceA.locator("#app-status").getAttribute("data-online")).toBe("false");

    // A, offline: a new to-do, the shared to-do renamed, and text appended to its body.
    await addTodo(deviceA, "Written offline");
    await typeInBody(deviceA, "end", " offline-body");
    await openTodo(deviceA, "Groceries");
    await renameOpenTodo(deviceA, "Groceries for Sunday");
    await typeInBody(deviceA, "end", " and bread");
    await expect(syncNow(deviceA)).rejects.toThrow();
    await expect.poll(() => pendingShown(deviceA)).toBeGreaterThan(0);

    // B, online: the same to-do ticked done, and text inserted at the start of its body.
    await tickTodo(deviceB, "Groceries");
    await typeInBody(deviceB, "start", "Buy: ");
    await syncNow(deviceB);

    // A reconnects: the leader syncs by itself on `online`; wait for its outbox to drain.
    await contextA.setOffline(false);
    await expect.poll(() => pendingShown(deviceA), { timeout: 15_000 }).toBe(0);
    await syncNow(deviceA);
    await syncNow(deviceB);

    for (const device of [deviceA, deviceB]) {
      // Open to-dos first: the ticked one moved down, and it kept A's new title.
      await expect.poll(() => todosShown(device)).toEqual(["Written offline", "Groceries for Sunday (done)"]);
      await expect.poll(() => bodyText(device)).toBe("Buy: milk and bread");
      await expect.poll(() => device.locator("#app-status").getAttribute("data-online")).toBe("true");
    }
    await openTodo(deviceB, "Written offline");
    expect(await bodyText(deviceB)).toBe(" offline-body");

    // Live updates through the dev server's WebSocket proxy: A's new note and its body reach B
    // while B neither syncs nor polls.
    await addTodo(deviceA, "Live");
    await typeInBody(deviceA, "end", "typed on A");
    await expect.poll(() => todoTitles(deviceB), { timeout: 5_000 }).toContain("Live");
    await openTodo(deviceB, "Live");
    await expect.poll(() => bodyText(deviceB), { timeout: 5_000 }).toBe("typed on A");

    await openTodo(deviceB, "Groceries for Sunday");
    const shots = [
      { label: "Device A (was offline)", path: await screenshot(deviceA, "device-a") },
      { label: "Device B", path: await screenshot(deviceB, "device-b") },
    ];
    // `SYNCPOOL_DOCS_SCREENSHOT=1` refreshes the README's picture from this state.
    if (process.env.SYNCPOOL_DOCS_SCREENSHOT === "1") {
      await sideBySide(browser, shots, resolve(dirname(fileURLToPath(import.meta.url)), "../../docs/notes-demo.png"));
    }
  });

  it("tells the user when the server refuses a change made offline", async () => {
    // A, offline, writes 600 KB into a dataset: within the 1 MB limit as A sees it.
    await contextA.setOffline(true);
    await expect.poll(() => deviceA.locator("#app-status").getAttribute("data-online")).toBe("false");
    await deviceA.evaluate(() => window.notesApp.client.dataset("scratch").put("from-a", "a".repeat(600_000)));
    // Meanwhile B fills the same dataset past half the limit.
    await deviceB.evaluate(() => window.notesApp.client.dataset("scratch").put("from-b", "b".repeat(600_000)));
    await syncNow(deviceB);

    // A reconnects and pushes: the server refuses (LIMIT_EXCEEDED), and the app says so.
    await contextA.setOffline(false);
    const banner = deviceA.locator("#write-rejected");
    await banner.waitFor({ state: "visible", timeout: 15_000 });
    expect(await banner.getAttribute("data-code")).toBe("LIMIT_EXCEEDED");
    expect(await banner.textContent()).toContain("change(s) to scratch (from-a) were not saved");
    await expect.poll(() => deviceA.evaluate(() => window.notesApp.client.dataset("scratch").pendingCount())).toBe(0);
    expect(await deviceA.evaluate(() => window.notesApp.client.dataset("scratch").get("from-a"))).toBeUndefined();
  });
});
