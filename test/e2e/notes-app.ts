/**
 * The family to-do app (examples/notes) for end-to-end tests: built with Vite once per run
 * (`notes-build.ts`), served by Vite's preview server on port 0 with `/graphql` proxied to a test sync server (and, when
 * asked, the app's family backend under `/family/`, as `npm run demo` serves it), and a few page helpers that act as a user would (clicks and typing) or, for bulk writes and checks,
 * through `window.notesApp.client`.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import type { FileBrowser } from "./browser.js";
import { preview } from "vite";
import { expect, inject } from "vitest";
import { familyRoutes } from "../../examples/notes/server/family-routes.js";
import { createFamilyService, type FamilyServiceOptions } from "../../examples/notes/server/family-service.js";
import { graphqlProxy } from "../../examples/notes/vite.config.js";
import { NOTES_CONFIG_FILE } from "./notes-build.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Where the tests put screenshots (git-ignored; CI keeps them as artifacts). */
export const ARTIFACTS_DIR = join(here, "artifacts");

/** The app, served. */
export interface NotesApp {
  /** e.g. `http://127.0.0.1:39123/` */
  url: string;
  close(): Promise<void>;
}

/** The family backend's settings, less the sync server's URL. */
export type FamilyBackend = Omit<FamilyServiceOptions, "syncServerUrl">;

/**
 * Serves the app (built once per run by `notes-build.ts`), proxying `/graphql` to `syncServerUrl`; with `family`, it also
 * serves the family backend against that server (whose pool must have the family slots).
 */
export async function startNotesApp(syncServerUrl: string, family?: FamilyBackend): Promise<NotesApp> {
  const server = await preview({
    configFile: NOTES_CONFIG_FILE,
    logLevel: "warn",
    build: { outDir: inject("notesAppDir") },
    plugins: family ? [familyRoutes(createFamilyService({ ...family, syncServerUrl }))] : [],
    preview: { port: 0, host: "127.0.0.1", strictPort: true, proxy: graphqlProxy(syncServerUrl) },
  });
  const address = server.httpServer.address();
  if (address === null || typeof address === "string") throw new Error("the preview server has no port");
  return {
    url: `http://127.0.0.1:${address.port}/`,
    async close() {
      await server.close();
    },
  };
}

/** A guest's transfer code, as the app's "Open on another device" link carries it. */
export interface Transfer {
  identityId: string;
  deviceSecret: string;
}

/** Opens the app in `page` (as the guest `transfer` names, if given) and waits until signed in. */
export async function openApp(page: Page, appUrl: string, transfer?: Transfer): Promise<void> {
  const url = new URL(appUrl);
  if (transfer) {
    url.searchParams.set("identityId", transfer.identityId);
    url.searchParams.set("deviceSecret", transfer.deviceSecret);
  }
  await page.goto(url.href);
  await page.locator("#signed-in").waitFor({ state: "visible" });
}

/** The signed-in guest's transfer code, read from the app's link. */
export async function transferOf(page: Page): Promise<Transfer> {
  const href = await page.locator("#transfer-link").getAttribute("href");
  const params = new URL(href ?? "", "http://x").searchParams;
  const identityId = params.get("identityId");
  const deviceSecret = params.get("deviceSecret");
  if (!identityId || !deviceSecret) throw new Error(`no transfer code in ${href}`);
  return { identityId, deviceSecret };
}

/** Creates a family through the app's panel and waits for its list; returns the invite code shown. */
export async function createFamily(page: Page): Promise<string> {
  await page.click("#create-family");
  await page.locator("#family-member").waitFor({ state: "visible" });
  await expect.poll(() => page.locator("#list-name").textContent()).toMatch(/^Family to-dos/);
  return (await page.locator("#family-invite").textContent()) ?? "";
}

/** Joins the family `invite` names through the app's panel and waits for the family's list. */
export async function joinFamily(page: Page, invite: string): Promise<void> {
  await page.locator("#invite-code").fill(invite);
  await page.click("#join-family");
  await page.locator("#family-member").waitFor({ state: "visible" });
  await expect.poll(() => page.locator("#list-name").textContent()).toMatch(/^Family to-dos/);
}

/** Runs a full sync in the page (what "Sync now" does), failing the test if it fails. */
export async function syncNow(page: Page): Promise<void> {
  await page.evaluate(() => window.notesApp.client.sync());
}

/** Adds a to-do titled `title` through the UI and leaves it open; returns its id. */
export async function addTodo(page: Page, title: string): Promise<string> {
  const before = await todoIds(page);
  await page.click("#new-todo");
  await expect.poll(async () => (await todoIds(page)).length).toBe(before.length + 1);
  const id = (await todoIds(page)).find((candidate) => !before.includes(candidate));
  if (!id) throw new Error(`to-do "${title}" did not appear`);
  await page.locator("#note-title").fill(title);
  await expect.poll(() => todoTitles(page)).toContain(title);
  return id;
}

/** Opens the to-do titled `title` and waits until its notes body can be edited. */
export async function openTodo(page: Page, title: string): Promise<void> {
  await todoItem(page, title).locator(".title").click();
  await page.locator("#note-body:not([disabled])").waitFor();
}

/** Renames the open to-do through its title field. */
export async function renameOpenTodo(page: Page, title: string): Promise<void> {
  await page.locator("#note-title").fill(title);
}

/** Ticks (or unticks) the to-do titled `title` through its checkbox. */
export async function tickTodo(page: Page, title: string, done = true): Promise<void> {
  // The checkbox is controlled: it shows the stored value once the write has gone through the
  // dataset and the live query, so click it and wait for the list to show the change.
  const box = todoItem(page, title).locator("input[type=checkbox]");
  if ((await box.isChecked()) !== done) await box.click();
  await page.locator(`#todo-list li[data-done="${done}"]`, { has: page.locator(".title", { hasText: title }) }).waitFor();
}

/** The to-dos in the list, in order, as `title` plus ` (done)` when ticked. */
export function todosShown(page: Page): Promise<string[]> {
  return page
    .locator("#todo-list li")
    .evaluateAll((items) =>
      items.map((item) => `${item.querySelector(".title")?.textContent ?? ""}${(item as HTMLElement).dataset.done === "true" ? " (done)" : ""}`),
    );
}

function todoItem(page: Page, title: string) {
  return page.locator("#todo-list li", { has: page.locator(".title", { hasText: title }) });
}

/** Types `text` into the open note's body at its start or end. */
export async function typeInBody(page: Page, where: "start" | "end", text: string): Promise<void> {
  await page.click("#note-body");
  await page.keyboard.press(where === "start" ? "Control+Home" : "Control+End");
  await page.keyboard.type(text);
}

/** The titles in the list, in order. */
export function todoTitles(page: Page): Promise<string[]> {
  return page.locator("#todo-list li .title").allTextContents();
}

function todoIds(page: Page): Promise<string[]> {
  return page.locator("#todo-list li").evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.id ?? ""));
}

/** The open to-do's notes body as the textarea shows it. */
export function bodyText(page: Page): Promise<string> {
  return page.locator("#note-body").inputValue();
}

/** The pending-changes count the status badge shows. */
export async function pendingShown(page: Page): Promise<number> {
  return Number(await page.locator("#app-status").getAttribute("data-pending"));
}

/** Saves a screenshot of `page` as `test/e2e/artifacts/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Saves the screenshots at `paths` side by side, labelled, as one picture at `outPath`. */
export async function sideBySide(browser: FileBrowser, shots: Array<{ label: string; path: string }>, outPath: string): Promise<void> {
  // Large enough for both: an element screenshot is cut at the viewport.
  const page = await browser.newPage({ viewport: { width: 2000, height: 1000 } });
  const figures = shots.map(({ label, path }) => {
    const source = `data:image/png;base64,${readFileSync(path).toString("base64")}`;
    return `<figure><figcaption>${label}</figcaption><img src="${source}"></figure>`;
  });
  await page.setContent(
    `<style>body{margin:0}#shots{display:inline-flex;gap:16px;padding:16px;background:#e5e7eb;font:600 16px system-ui}
      figure{margin:0}figcaption{margin:0 0 8px}img{display:block;border:1px solid #9ca3af}</style>
      <div id="shots">${figures.join("")}</div>`,
  );
  await page.locator("#shots").screenshot({ path: outPath });
  await page.close();
}
