/**
 * Chromium for the end-to-end tests: Debian's headless shell (`apt-get install -y
 * chromium-headless-shell`, which `.ci/run` does), driven by playwright-core, as Playwright runs
 * headless Chromium itself. Playwright's own browser download does not work on our machines, so
 * there is no fallback to it. The headless shell, not the full browser in headless mode: the full
 * browser gives every context a window with the browser's own user interface, and preloads two
 * hidden pages in renderers of their own for each window's address bar; that cost the browser
 * tests 104 CPU-seconds of Chromium against 35 for the shell, for the same tests.
 *
 * Without Chromium the browser suites skip with a message, except under `CI=true`, where they
 * fail: a CI run that silently tested no browser would be a lie.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { describe, it } from "vitest";
import { onEveryFileEnd } from "../helpers/file-end.js";

/** Where Debian's `chromium-headless-shell` package puts the browser (its `/usr/bin` script runs this from a shell). */
export const CHROMIUM_PATH = "/usr/lib/chromium/chromium-headless-shell";

/** Flags for a headless Chromium in a container, quiet on the network. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync",
];

/** `describe`, or (no Chromium) a skipped suite, or under `CI=true` a failing one. */
export function describeInBrowser(name: string, body: () => void): void {
  if (existsSync(CHROMIUM_PATH)) {
    describe(name, body);
    return;
  }
  const message = `Chromium is missing at ${CHROMIUM_PATH}: install it with 'apt-get install -y chromium-headless-shell' (.ci/run does)`;
  if (process.env.CI === "true") {
    describe(name, () => {
      it("needs Chromium", () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": ${message}`);
  describe.skip(name, body);
}

/**
 * A test file's share of the worker's Chromium: browser contexts of its own (fresh storage,
 * cookies and IndexedDB each), which `close()` closes. The browser itself outlives the file.
 */
export interface FileBrowser {
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page in a new context of its own, as `Browser.newPage` gives. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /** Closes the contexts this file opened; the shared browser stays up for the worker's next file. */
  close(): Promise<void>;
}

/** The worker's Chromium and the contexts its current file has open. */
interface SharedChromium {
  browser: Promise<Browser> | undefined;
  openContexts: Set<BrowserContext>;
  hooked: boolean;
}

// On `globalThis`, as file-end.ts keeps its hooks: one browser per worker whatever the module cache does.
const sharedKey = Symbol.for("syncpool.test.sharedChromium");
const shared: SharedChromium = ((globalThis as Record<symbol, SharedChromium | undefined>)[sharedKey] ??= {
  browser: undefined,
  openContexts: new Set(),
  hooked: false,
});

/** The vitest worker's clean-up registry, run when the pool stops the worker (before it is killed). */
type WorkerState = { onCleanup?(listener: () => unknown): void };

/**
 * Launching Chromium costs more CPU than most browser tests spend in it, so a test worker launches
 * one on first use and every file it runs opens contexts in it (`isolate: false` keeps this module
 * from file to file). Each file's contexts close at its end; the browser closes when the worker
 * stops, awaited so that Chromium exits (and is reaped) before the worker does. A browser that
 * crashed or disconnected is launched afresh for the next file, never reused.
 */
export async function openChromium(): Promise<FileBrowser> {
  if (!shared.hooked) {
    shared.hooked = true;
    // A file whose afterAll failed before closing its contexts still leaves the next file a clean browser.
    onEveryFileEnd(closeOpenContexts);
    (globalThis as { __vitest_worker__?: WorkerState }).__vitest_worker__?.onCleanup?.(closeSharedChromium);
  }
  const browser = await sharedBrowser();
  const mine = new Set<BrowserContext>();
  const newContext = async (options?: BrowserContextOptions) => {
    const context = await browser.newContext(options);
    mine.add(context);
    shared.openContexts.add(context);
    context.once("close", () => {
      mine.delete(context);
      shared.openContexts.delete(context);
    });
    return context;
  };
  return {
    newContext,
    newPage: async (options) => (await newContext(options)).newPage(),
    close: async () => {
      await Promise.all([...mine].map((context) => context.close()));
    },
  };
}

/** The worker's Chromium, launched now if there is none or the last one is gone. */
async function sharedBrowser(): Promise<Browser> {
  for (;;) {
    const current = shared.browser;
    if (current === undefined) return launchShared();
    const browser = await current.catch(() => undefined);
    if (browser?.isConnected()) return browser;
    // It died or never started: launch another, unless another file of this worker already has.
    if (shared.browser === current) return launchShared();
  }
}

/** Launches the worker's Chromium, forgotten again when it disconnects or fails to start. */
function launchShared(): Promise<Browser> {
  const launching = launchChromium();
  shared.browser = launching;
  launching.then(
    (browser) =>
      browser.on("disconnected", () => {
        if (shared.browser === launching) shared.browser = undefined;
      }),
    () => {
      if (shared.browser === launching) shared.browser = undefined;
    },
  );
  return launching;
}

async function closeOpenContexts(): Promise<void> {
  await Promise.all([...shared.openContexts].map((context) => context.close()));
}

async function closeSharedChromium(): Promise<void> {
  const browser = shared.browser;
  shared.browser = undefined;
  await (await browser?.catch(() => undefined))?.close();
}

/**
 * Launches Debian's Chromium, headless. A test's own certificate is trusted per context
 * (`ignoreHTTPSErrors`), which covers the page's fetches and WebSockets, not by a launch flag.
 */
function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
