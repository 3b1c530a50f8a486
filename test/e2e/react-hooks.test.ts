/**
 * In Chromium: syncpool/react's hooks in a Vite-built React page. A write from another device
 * (a second browser context, the same guest) shows in the page; sign-out empties every hook at
 * once; another guest signed in afterwards sees only its own data.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { describeInBrowser, launchChromium } from "./browser.js";
import { startReactApp, type ReactApp } from "./react-app.js";

describeInBrowser("syncpool/react in a page", () => {
  let server: TestServer;
  let app: ReactApp;
  let browser: Browser;
  let other: BrowserContext;
  let page: Page;
  let otherPage: Page;

  beforeAll(async () => {
    server = await startTestServer();
    [app, browser] = await Promise.all([startReactApp(server.url), launchChromium()]);
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
});
