/**
 * Chromium for the end-to-end tests: Debian's package (`apt-get install -y chromium`, which
 * `.ci/run` does), driven by playwright-core. Playwright's own browser download does not work on
 * our machines, so there is no fallback to it.
 *
 * Without Chromium the browser suites skip with a message, except under `CI=true`, where they
 * fail: a CI run that silently tested no browser would be a lie.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { describe, it } from "vitest";

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

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
  const message = `Chromium is missing at ${CHROMIUM_PATH}: install it with 'apt-get install -y chromium' (.ci/run does)`;
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

/** Launches Debian's Chromium, headless, with `extraArgs` (e.g. `--ignore-certificate-errors` for a test's own certificate). */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
}
