/**
 * How the browser tests launch Debian's Chromium (`browser.ts` keeps one per test worker), and a
 * vitest global setup of the browser project that completes the launch flags once per run.
 *
 * Each browser context is a window of its own, and Chromium preloads two hidden pages for every
 * window's address bar (`chrome://omnibox-popup.top-chrome/`, one of them for "AI mode"), each in
 * a renderer process of its own: about as much CPU as the app pages a notes test opens. Headless
 * tests never type in an address bar, so those features are turned off. Chromium keeps only the
 * last `--disable-features` of its command line, and Playwright passes one of its own (HTTP kept
 * on HTTP, storage not partitioned, no calls to Google's servers...), so ours repeats Playwright's
 * list, read off a browser Playwright launched (`Browser.getBrowserCommandLine`, answered only
 * with `--enable-automation`), rather than copied from its source.
 */
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import type { TestProject } from "vitest/node";

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Flags for a headless Chromium in a container, quiet on the network. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync",
];

/** The address bar's preloaded popups, which no headless test opens. */
export const UNUSED_FEATURES = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"];

declare module "vitest" {
  export interface ProvidedContext {
    /** Every feature the tests' Chromium runs without: Playwright's, then `UNUSED_FEATURES`. */
    chromiumDisabledFeatures: string[];
  }
}

export default async function setup(project: TestProject): Promise<void> {
  // Without Chromium the browser suites skip or fail on their own (browser.ts), saying why.
  if (!existsSync(CHROMIUM_PATH)) return;
  project.provide("chromiumDisabledFeatures", [...(await playwrightDisabledFeatures()), ...UNUSED_FEATURES]);
}

/** The features Playwright's launch disables, from the command line of a browser it started. */
async function playwrightDisabledFeatures(): Promise<string[]> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, "--enable-automation"] });
  try {
    const session = await browser.newBrowserCDPSession();
    const { arguments: argv } = await session.send("Browser.getBrowserCommandLine");
    const last = argv.filter((arg) => arg.startsWith("--disable-features=")).at(-1);
    return last?.slice("--disable-features=".length).split(",").filter(Boolean) ?? [];
  } finally {
    await browser.close();
  }
}

/** The launch flags of the tests' Chromium: `CHROMIUM_ARGS` and the features the run's setup found. */
export function chromiumArgs(disabledFeatures: readonly string[] | undefined): string[] {
  return disabledFeatures === undefined || disabledFeatures.length === 0 ? CHROMIUM_ARGS : [...CHROMIUM_ARGS, `--disable-features=${disabledFeatures.join(",")}`];
}
