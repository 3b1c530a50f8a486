/**
 * In a real browser, a page closes its live client while the subscription waits to
 * reconnect (the network dropped). No `unhandledrejection` and no `pageerror` may follow. The
 * client is bundled for browsers with esbuild (with `syncpool/client/testing`'s offline switch)
 * and loaded into a page served by a real sync server, whose origin gives it IndexedDB.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { describeInBrowser, openChromium, type FileBrowser } from "./browser.js";
import { bundleClientForPage } from "./client-script.js";

describeInBrowser("a live client closed in the browser while reconnecting", () => {
  let server: TestServer;
  let browser: FileBrowser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    let script: string;
    [server, browser, script] = await Promise.all([startTestServer(), openChromium(), bundleClientForPage()]);
    page = await browser.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(`${server.url}/healthz`);
    await page.addScriptTag({ content: script });
    await page.evaluate(() => {
      const page = window as unknown as { rejections: string[] };
      page.rejections = [];
      window.addEventListener("unhandledrejection", (event) => {
        page.rejections.push(JSON.stringify(event.reason) ?? String(event.reason));
      });
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("closes without an unhandled rejection or a page error", async () => {
    await page.evaluate(async (endpoint) => {
      const { createClient, createOfflineSwitch } = (window as unknown as { syncpool: typeof import("../../client/index.js") & typeof import("../../client/testing.js") }).syncpool;
      const network = createOfflineSwitch();
      const state = { attempts: 0, open: 0 };
      const Switched = network.WebSocket as typeof WebSocket;
      const Counted = class extends Switched {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          state.attempts += 1;
          let opened = false;
          this.addEventListener("open", () => ((opened = true), (state.open += 1)));
          this.addEventListener("close", () => opened && (state.open -= 1));
        }
      };
      const client = createClient({
        endpoint,
        identityPoolId: "default",
        fetch: network.fetch,
        WebSocket: Counted,
        live: true,
        intervalMs: 3_600_000,
        backoff: { baseMs: 20, maxMs: 60_000 },
      });
      Object.assign(window, { client, network, state });
      await client.signIn();
    }, server.graphqlUrl);
    await expect.poll(() => page.evaluate(() => (window as unknown as { state: { open: number } }).state.open)).toBe(1);

    const before = await page.evaluate(() => {
      const page = window as unknown as { network: { goOffline(): void }; state: { attempts: number } };
      page.network.goOffline();
      return page.state.attempts;
    });
    // Refused attempts in a row: the subscription is in its retry loop, waiting between tries.
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { state: { attempts: number; open: number } }).state), { timeout: 10_000 })
      .toMatchObject({ attempts: expect.toSatisfy((attempts: number) => attempts - before >= 3), open: 0 });

    await page.evaluate(() => (window as unknown as { client: { close(): Promise<void> } }).client.close());
    // A rejection is reported after the current task: let the page run one more task first.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    expect(await page.evaluate(() => (window as unknown as { rejections: string[] }).rejections)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
