/**
 * The worker's one Chromium (`openChromium` in browser.ts): files share the browser, not their
 * state, a browser that died is launched afresh rather than handed out dead, and a context's
 * window comes without the address bar's hidden pages (chromium-launch.ts).
 */
import { afterAll, expect, inject, it } from "vitest";
import { describeInBrowser, openChromium, type FileBrowser } from "./browser.js";
import { UNUSED_FEATURES } from "./chromium-launch.js";

describeInBrowser("the test worker's shared Chromium", () => {
  const opened: FileBrowser[] = [];
  const open = async () => {
    const browser = await openChromium();
    opened.push(browser);
    return browser;
  };

  afterAll(async () => {
    await Promise.all(opened.map((browser) => browser.close()));
  });

  it("gives two openers one browser, with contexts that share no storage, and closes only the closer's contexts", async () => {
    const [first, second] = [await open(), await open()];
    const [mine, theirs] = [await first.newContext(), await second.newContext()];
    expect(mine.browser()).toBe(theirs.browser());
    const [myPage, theirPage] = [await mine.newPage(), await theirs.newPage()];
    await myPage.goto("data:text/html,<p>mine</p>");
    await mine.addCookies([{ name: "who", value: "mine", url: "http://localhost/" }]);
    expect(await theirs.cookies()).toEqual([]);
    await first.close();
    expect(myPage.isClosed()).toBe(true);
    expect(theirPage.isClosed()).toBe(false);
    expect(theirs.browser()!.isConnected()).toBe(true);
  });

  it("opens a context's page without the address bar's hidden popup pages, keeping Playwright's disabled features", async () => {
    const features = inject("chromiumDisabledFeatures");
    expect(features).toEqual(expect.arrayContaining(UNUSED_FEATURES));
    expect(features.length).toBeGreaterThan(UNUSED_FEATURES.length);
    const page = await (await open()).newPage();
    await page.setContent("<p>alone</p>");
    const session = await page.context().browser()!.newBrowserCDPSession();
    const { targetInfos } = await session.send("Target.getTargets", { filter: [{}] });
    await session.detach();
    expect(targetInfos.map((target) => target.url)).toContain("about:blank");
    expect(targetInfos.filter((target) => target.url.startsWith("chrome://"))).toEqual([]);
  });

  it("launches a new browser after the shared one crashed", async () => {
    const before = await open();
    const crashed = (await before.newContext()).browser()!;
    const cdp = await crashed.newBrowserCDPSession();
    await cdp.send("Browser.crash").catch(() => undefined);
    await expect.poll(() => crashed.isConnected(), { timeout: 10_000 }).toBe(false);
    const page = await (await open()).newPage();
    expect(page.context().browser()).not.toBe(crashed);
    await page.setContent("<p>alive</p>");
    expect(await page.textContent("p")).toBe("alive");
  });
});
