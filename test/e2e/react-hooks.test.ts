/**
 * In Chromium: syncpool/react's hooks in a Vite-built React page. A write from another device
 * (a second browser context, the same guest) shows in the page; sign-out empties every hook at
 * once; another guest signed in afterwards sees only its own data. A query hook takes in a JSON
 * record written elsewhere that matches, drops it when it stops matching, and ignores the rest.
 */
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { describeInBrowser, openChromium, type FileBrowser } from "./browser.js";
import { startReactApp, type ReactApp } from "./react-app.js";

describeInBrowser("syncpool/react in a page", () => {
  let server: TestServer;
  let app: ReactApp;
  let browser: FileBrowser;
  let other: BrowserContext;
  let page: Page;
  let otherPage: Page;

  beforeAll(async () => {
    server = await startTestServer();
    [app, browser] = await Promise.all([startReactApp(server.url), openChromium()]);
    page = await browser.newPage();
    other = await browser.newContext();
    otherPage = await other.newPage();
    await Promise.all([page.goto(app.url), otherPage.goto(app.url)]);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await server?.close();
  });

  const text = (on: Page, id: string) => on.locator(`#${id}`).textContent();
  const shown = async (on: Page) => ({
    identity: await text(on, "identity"),
    record: await text(on, "record"),
    all: await text(on, "all"),
    doc: await text(on, "doc"),
  });

  it("shows another device's writes, nothing after sign-out, and only the next identity's data", async () => {
    expect(await shown(page)).toEqual({ identity: "signed out", record: "(none)", all: "{}", doc: "(no doc)" });

    const transferCode = await page.evaluate(async () => {
      await window.reactApp.client.signIn();
      return window.reactApp.client.transferCode();
    });
    const identityId = await page.evaluate(() => window.reactApp.client.identityId);
    await expect.poll(() => text(page, "identity")).toBe(identityId);

    // Another device signed in as the same guest writes a record and a doc edit, and syncs.
    await otherPage.evaluate(async (code) => {
      const client = window.reactApp.client;
      await client.signIn({ transferCode: code });
      await client.dataset("e2e").put("greeting", "hello from the other device");
      const doc = client.dataset("e2e-docs").doc("page");
      await (doc as unknown as { whenLoaded: Promise<void> }).whenLoaded;
      doc.getText("t").insert(0, "shared text");
      await client.dataset("e2e-docs").flush();
      await client.sync();
    }, transferCode);
    await page.evaluate(() => window.reactApp.client.sync());
    await expect.poll(() => shown(page)).toEqual({
      identity: identityId,
      record: "hello from the other device",
      all: JSON.stringify({ greeting: "hello from the other device" }),
      doc: "shared text",
    });
    await expect.poll(() => text(page, "sync-state")).toBe("idle");

    // Signing out empties every hook in the same render that shows "signed out".
    await page.evaluate(() => window.reactApp.client.signOut());
    await expect.poll(() => text(page, "identity")).toBe("signed out");
    expect(await shown(page)).toEqual({ identity: "signed out", record: "(none)", all: "{}", doc: "(no doc)" });
    expect(await text(page, "sync-state")).toBe("stopped");

    // Another guest (made on the other device) signs in here: only its data shows, though the
    // first guest's data is still on this device.
    const next = await otherPage.evaluate(async () => {
      const client = window.reactApp.client;
      await client.signOut({ wipe: true });
      const { identityId: nextId } = await client.signIn();
      await client.dataset("e2e").put("mine", "the second guest's");
      await client.sync();
      return { nextId, code: client.transferCode() };
    });
    expect(next.nextId).not.toBe(identityId);
    await page.evaluate(async (code) => {
      await window.reactApp.client.signIn({ transferCode: code });
      await window.reactApp.client.sync();
    }, next.code);
    await expect.poll(() => shown(page)).toEqual({
      identity: next.nextId,
      record: "(none)",
      all: JSON.stringify({ mine: "the second guest's" }),
      doc: "",
    });
  });

  it("a query hook shows another device's matching JSON records and only those", async () => {
    // Both pages are one fresh guest, whatever the test before left behind.
    const code = await otherPage.evaluate(async () => {
      const client = window.reactApp.client;
      await client.signOut({ wipe: true });
      await client.signIn();
      return client.transferCode();
    });
    await page.evaluate(async (transferCode) => {
      await window.reactApp.client.signOut({ wipe: true });
      await window.reactApp.client.signIn({ transferCode });
    }, code);
    expect(await text(page, "open-tasks")).toBe("");

    const writeThere = async (write: "open-b" | "done-a" | "rename-b" | "tick-b") => {
      await otherPage.evaluate(async (step) => {
        const tasks = window.reactApp.client.dataset<{ title: string; done: boolean }>("e2e-tasks");
        if (step === "open-b") await tasks.put("b", { title: "buy milk", done: false });
        if (step === "done-a") await tasks.put("a", { title: "already done", done: true });
        if (step === "rename-b") await tasks.update("b", { title: "buy oat milk" });
        if (step === "tick-b") await tasks.update("b", { done: true });
        await window.reactApp.client.sync();
      }, write);
      await page.evaluate(() => window.reactApp.client.sync());
    };

    await writeThere("open-b");
    await expect.poll(() => text(page, "open-tasks")).toBe("b:buy milk");
    // A record outside the query, then a change inside it: once the change shows, the record
    // outside has been pulled too, and it is not among the rows.
    await writeThere("done-a");
    await writeThere("rename-b");
    await expect.poll(() => text(page, "open-tasks")).toBe("b:buy oat milk");
    expect(await page.evaluate(() => window.reactApp.client.dataset("e2e-tasks").query())).toHaveLength(2);
    await writeThere("tick-b");
    await expect.poll(() => text(page, "open-tasks")).toBe("");
  });
});
