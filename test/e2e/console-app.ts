/**
 * The admin console under test: built once by Vite into `dist/console` (where the server serves it
 * from), a server seeded with data for every page, and small steps a test takes in the page.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { build } from "vite";
import * as Y from "yjs";
import { encodeBase64 } from "../../core/base64.js";
import { poolSettingsSchema } from "../../server/config.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { syncApi } from "../helpers/sync-api.js";

/** The admin token of the seeded server. */
export const CONSOLE_ADMIN_TOKEN = "console-admin-token-0123456789abcdefghij";
/** A pool secret the console must never show. */
export const CONSOLE_DEVELOPER_KEY = "console-developer-key-0123456789abcdefghij";

const consoleConfig = resolve(fileURLToPath(new URL("../../console/vite.config.ts", import.meta.url)));

/**
 * Builds the console into `console/` of a fresh temporary directory (about a second) and answers
 * that path: test files running side by side must not empty each other's build. The caller
 * removes its parent when done (the parent also holds files the console must not serve).
 */
export async function buildConsole(): Promise<string> {
  const outDir = join(mkdtempSync(join(tmpdir(), "syncpool-console-")), "console");
  await build({ configFile: consoleConfig, logLevel: "warn", build: { outDir, emptyOutDir: true } });
  return outDir;
}

/** A seeded server and what was seeded. */
export interface SeededConsole {
  server: TestServer;
  guest: { identityId: string; token: string; deviceSecret: string };
}

/**
 * A server with metrics behind the admin token, a pool with a developer key, a guest with a STRING
 * and a YDOC record, and a consumer that fails every event (so a dead letter exists).
 */
export async function startSeededConsole(consoleDir: string): Promise<SeededConsole> {
  const pools = [poolSettingsSchema.parse({ id: "default", developerProvider: { name: "backend", key: CONSOLE_DEVELOPER_KEY }, limits: { maxDatasets: 4 } })];
  const server = await startTestServer({
    config: { pools, adminToken: CONSOLE_ADMIN_TOKEN, metrics: "admin" },
    serverOptions: {
      handlers: [{ name: "always-failing", maxAttempts: 1, handle: () => Promise.reject(new Error("receiver is down")) }],
      stream: { consumers: { pollIntervalMs: 50, retryBaseMs: 10, retryMaxMs: 20 } },
      consoleDir,
    },
  });
  const guest = await server.signInGuest();
  const doc = new Y.Doc();
  doc.getText("body").insert(0, "shared text from a document");
  await syncApi(server.graphqlUrl, guest.token).push({
    dataset: "notes",
    patches: [
      { op: "REPLACE", key: "title", value: "Groceries" },
      { op: "REPLACE", key: "body", kind: "YDOC", value: encodeBase64(Y.encodeStateAsUpdate(doc)) },
    ],
  });
  await syncApi(server.graphqlUrl, guest.token).push({ dataset: "settings", patches: [{ op: "REPLACE", key: "theme", value: "dark" }] });
  return { server, guest };
}

/** Opens the console and signs in with `token` through its form. */
export async function signInToConsole(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/console/`);
  await page.fill("#admin-token", token);
  await page.click("#sign-in-form button[type=submit]");
  await page.locator("#nav:not([hidden])").waitFor();
}

/** Goes to a page of the console by its navigation link. */
export async function openConsolePage(page: Page, id: string): Promise<void> {
  await page.click(`#nav a[data-page="${id}"]`);
  await page.locator("#page h2").waitFor();
}
