/**
 * The admin console in Chromium against a seeded server: every page loads with the seeded data
 * (pools with masked secrets, an identity's datasets and decoded records, the stream's tail,
 * consumers and dead letters, live charts), and actions work end to end: disabling an identity
 * makes its next sign-in fail, dropping a dead letter removes it. Screenshots go to
 * test/e2e/artifacts/.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { syncApi } from "../helpers/sync-api.js";
import { describeInBrowser, openChromium, type FileBrowser } from "./browser.js";
import { buildConsole, CONSOLE_ADMIN_TOKEN, CONSOLE_DEVELOPER_KEY, openConsolePage, signInToConsole, startSeededConsole, type SeededConsole } from "./console-app.js";
import { screenshot } from "./notes-app.js";

describeInBrowser("admin console pages", () => {
  let seeded: SeededConsole;
  let browser: FileBrowser;
  let consoleDir: string;
  let page: Page;

  beforeAll(async () => {
    consoleDir = await buildConsole();
    [seeded, browser] = await Promise.all([startSeededConsole(consoleDir), openChromium()]);
    page = await (await browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
    await signInToConsole(page, seeded.server.url, CONSOLE_ADMIN_TOKEN);
  });
  afterAll(async () => {
    await browser?.close();
    await seeded?.server.close();
    if (consoleDir) rmSync(dirname(consoleDir), { recursive: true, force: true });
  });

  it("shows the pools with their limits and providers, the developer key masked", async () => {
    await openConsolePage(page, "pools");
    const pool = page.locator('section.pool[data-pool="default"]');
    await expect.poll(() => pool.textContent()).toContain("4 datasets");
    for (const details of await pool.locator("details").all()) await details.evaluate((element) => ((element as HTMLDetailsElement).open = true));
    const text = (await pool.textContent()) ?? "";
    expect(text).toContain('"name": "backend"');
    expect(text).toContain("********");
    expect(text).not.toContain(CONSOLE_DEVELOPER_KEY);
    await screenshot(page, "console-pools");
  });

  it("finds the guest, shows its datasets against the limits and its records decoded by kind", async () => {
    await openConsolePage(page, "identities");
    await page.fill("#identity-search", seeded.guest.identityId);
    await page.click("#page form button[type=submit]");
    await page.locator(`[data-identity="${seeded.guest.identityId}"]`).waitFor();
    expect(await page.locator("#datasets tbody tr").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-dataset")))).toEqual(["notes", "settings"]);
    expect(await page.locator(".usage .figure").first().textContent()).toBe("2 / 4");
    await page.click('#datasets a:text("notes")');
    await page.locator('#records tr[data-key="body"]').waitFor();
    expect(await page.locator('#records tr[data-key="body"] pre').textContent()).toBe("body: shared text from a document");
    expect(await page.locator('#records tr[data-key="title"] pre').textContent()).toBe("Groceries");
    await screenshot(page, "console-identities");
  });

  it("tails the stream and lists the failing consumer's dead letters, and drops one", async () => {
    const other = await seeded.server.signInGuest();
    await openConsolePage(page, "stream");
    await page.locator("#shards tbody tr").first().waitFor();
    // The tail starts at LATEST: once every shard has its iterator, an event appended shows up live.
    await page.locator('#tail[data-live="true"]').waitFor({ state: "attached" });
    await syncApi(seeded.server.graphqlUrl, other.token).push({ dataset: "live", patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    await expect.poll(() => page.locator("#tail").textContent(), { timeout: 10_000 }).toContain(`live of ${other.identityId}`);
    await expect.poll(() => page.locator("#dead-letters tbody tr").count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    await expect.poll(() => page.locator('#consumer-table tr[data-consumer="always-failing"]').count()).toBeGreaterThan(0);
    await screenshot(page, "console-stream");
    const before = await page.locator("#dead-letters tbody tr").count();
    await page.locator('#dead-letters button[data-action="drop"]').first().click();
    await expect.poll(() => page.locator("#dead-letters tbody tr").count()).toBe(before - 1);
  });

  it("draws live charts from /metrics that move with traffic", async () => {
    await openConsolePage(page, "charts");
    const api = syncApi(seeded.server.graphqlUrl, (await seeded.server.signInGuest()).token);
    // Pushes until a scrape window sees them: the chart's latest value is a rate above zero.
    await expect
      .poll(
        async () => {
          await api.push({ dataset: "traffic", patches: [{ op: "REPLACE", key: "k", value: String(Math.random()) }] });
          return Number((await page.locator("#chart-pushes").getAttribute("data-value")) || 0);
        },
        { timeout: 15_000 },
      )
      .toBeGreaterThan(0);
    expect(await page.locator("#chart-pushes polyline").getAttribute("points")).toMatch(/\d/);
    await screenshot(page, "console-charts");
  });

  it("disables an identity, after which its sign-in fails", async () => {
    await openConsolePage(page, "identities");
    await page.fill("#identity-search", seeded.guest.identityId);
    await page.click("#page form button[type=submit]");
    const disable = page.locator('button[data-action="disable-identity"]');
    await disable.click();
    await disable.click(); // the second click confirms
    await expect.poll(() => page.locator("#identity-status").textContent()).toMatch(/^Disabled/);
    const again = await seeded.server.gql(`mutation ($input: SignInInput!) { signIn(input: $input) { identityId } }`, {
      input: { identityPoolId: "default", identityId: seeded.guest.identityId, deviceSecret: seeded.guest.deviceSecret },
    });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "IDENTITY_DISABLED" });
  });
});
