/**
 * The worker's one Chromium (`openChromium` in browser.ts): files share the browser, not their
 * state, and a browser that died is launched afresh rather than handed out dead.
 */
import { afterAll, expect, it } from "vitest";
import { describeInBrowser, openChromium, type FileBrowser } from "./browser.js";

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
