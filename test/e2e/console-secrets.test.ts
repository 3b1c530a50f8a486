/**
 * The console never leaks the admin token or a pool secret: not in the served HTML or JS, not in
 * any URL the page requests, not in a cookie or localStorage, not in the page after sign-in. The
 * token travels only as an Authorization header to /graphql and /metrics. Its static files stay
 * inside the built directory (no path escapes).
 */
import { rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeInBrowser, openChromium, type FileBrowser } from "./browser.js";
import { buildConsole, CONSOLE_ADMIN_TOKEN, CONSOLE_DEVELOPER_KEY, openConsolePage, signInToConsole, startSeededConsole, type SeededConsole } from "./console-app.js";

const SECRETS = [CONSOLE_ADMIN_TOKEN, CONSOLE_DEVELOPER_KEY, encodeURIComponent(CONSOLE_ADMIN_TOKEN)];

describeInBrowser("admin console secrets", () => {
  let seeded: SeededConsole;
  let browser: FileBrowser;
  let consoleDir: string;

  beforeAll(async () => {
    consoleDir = await buildConsole();
    [seeded, browser] = await Promise.all([startSeededConsole(consoleDir), openChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await seeded?.server.close();
    if (consoleDir) rmSync(dirname(consoleDir), { recursive: true, force: true });
  });

  it("serves HTML and JS that hold no secret, under a strict content security policy", async () => {
    const page = await fetch(`${seeded.server.url}/console/`);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const body of [html, ...(await Promise.all(assets.map(async (path) => (await fetch(`${seeded.server.url}${path}`)).text())))]) {
      for (const secret of SECRETS) expect(body).not.toContain(secret);
    }
  });

  it("sends the token only as a header, and keeps it out of URLs, cookies, localStorage and the page", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const urls: string[] = [];
    const authorized = new Set<string>();
    page.on("request", (request) => {
      urls.push(request.url());
      if (request.headers()["authorization"] === `Bearer ${CONSOLE_ADMIN_TOKEN}`) authorized.add(new URL(request.url()).pathname);
    });
    await signInToConsole(page, seeded.server.url, CONSOLE_ADMIN_TOKEN);
    for (const id of ["pools", "identities", "stream", "charts"]) await openConsolePage(page, id);
    await expect.poll(() => authorized.has("/metrics"), { timeout: 10_000 }).toBe(true);

    expect(urls.length).toBeGreaterThan(5);
    for (const url of urls) for (const secret of SECRETS) expect(url).not.toContain(secret);
    expect([...authorized].sort()).toEqual(["/graphql", "/metrics"]);
    expect(await context.cookies()).toEqual([]);
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }))).not.toContain(CONSOLE_ADMIN_TOKEN);
    expect(await page.evaluate(() => document.documentElement.outerHTML)).not.toContain(CONSOLE_ADMIN_TOKEN);
    await context.close();
  });

  it("answers 404 for paths that try to leave the console's directory", async () => {
    // A file beside the built console: reachable only through a path that escapes it.
    writeFileSync(join(dirname(consoleDir), "outside.txt"), "outside the console");
    for (const path of ["/console/../outside.txt", "/console/%2e%2e/outside.txt", "/console/%2e%2e%2foutside.txt", "/console/..%2foutside.txt", "/console/assets/..%2f..%2foutside.txt"]) {
      const response = await fetch(`${seeded.server.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).not.toContain("outside the console");
    }
  });
});
