/**
 * The family to-do list shared between users, in a real browser: three Chromium contexts
 * (separate profiles, so separate guests) run the app against a real sync server whose pool has
 * the demo's family slots, with the app's family backend served beside it as `npm run demo` does.
 * A creates a family, B joins it with the invite code, and they share one list, live; concurrent
 * edits of different fields of one to-do both survive; an outsider sees none of it. Ports: a
 * browser reaches the app and the sync server over sockets.
 */
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { familyPool } from "../../examples/notes/server/family-pool.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { describeInBrowser, openChromium, type FileBrowser } from "./browser.js";
import {
  addTodo,
  bodyText,
  createFamily,
  joinFamily,
  openApp,
  openTodo,
  pendingShown,
  renameOpenTodo,
  tickTodo,
  todosShown,
  todoTitles,
  typeInBody,
  startNotesApp,
  type NotesApp,
} from "./notes-app.js";

const ADMIN_TOKEN = "admin-token-for-the-notes-family-test-0123456789";
/** Live changes reach the other browser without a sync; allow a loaded machine some time. */
const LIVE = { timeout: 10_000 };

describeInBrowser("notes app shared by a family", () => {
  let server: TestServer;
  let app: NotesApp;
  let browser: FileBrowser;
  let contexts: BrowserContext[];
  let alice: Page;
  let bob: Page;
  let outsider: Page;
  let family: string;

  beforeAll(async () => {
    server = await startTestServer({ config: { pools: [familyPool("default")], adminToken: ADMIN_TOKEN } });
    const backend = { adminToken: ADMIN_TOKEN, inviteSecret: "invite-secret-of-the-family-test" };
    [app, browser] = await Promise.all([startNotesApp(server.url, backend), openChromium()]);
    contexts = await Promise.all([0, 1, 2].map(() => browser.newContext({ viewport: { width: 1000, height: 520 } })));
    [alice, bob, outsider] = (await Promise.all(contexts.map((context) => context.newPage()))) as [Page, Page, Page];
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await server?.close();
  });

  it("shares one list between a family's creator and a member who joined with the invite code, live both ways", async () => {
    await openApp(alice, app.url);
    await expect.poll(() => alice.locator("#list-name").textContent()).toBe("My to-dos");
    const invite = await createFamily(alice);
    family = (await alice.locator("#family-name").textContent()) ?? "";
    expect(invite).toMatch(new RegExp(`^${family}-`));

    await openApp(bob, app.url);
    await joinFamily(bob, invite);
    expect(await bob.locator("#family-name").textContent()).toBe(family);
    // The server holds both in the family's group.
    const members = await server.gql(`query ($group: String!) { groupMembers(identityPoolId: "default", group: $group) }`, { group: family }, ADMIN_TOKEN);
    expect(members.data.groupMembers).toHaveLength(2);

    await addTodo(alice, "Buy milk");
    await typeInBody(alice, "end", "oat, 2 litres");
    await expect.poll(() => todoTitles(bob), LIVE).toEqual(["Buy milk"]);
    await tickTodo(bob, "Buy milk");
    await expect.poll(() => todosShown(alice), LIVE).toEqual(["Buy milk (done)"]);
    // The notes body of a family to-do is the family's too.
    await openTodo(bob, "Buy milk");
    await expect.poll(() => bodyText(bob), LIVE).toBe("oat, 2 litres");
  });

  it("keeps a rename and a tick of one to-do made at the same time by two members", async () => {
    await addTodo(alice, "Call grandma");
    await expect.poll(() => todoTitles(bob), LIVE).toContain("Call grandma");

    // Alice renames it offline while Bob ticks it online: both write the same record, neither
    // having seen the other's change.
    await contexts[0]!.setOffline(true);
    await openTodo(alice, "Call grandma");
    await renameOpenTodo(alice, "Call grandma on Sunday");
    await expect.poll(() => pendingShown(alice)).toBeGreaterThan(0);
    await tickTodo(bob, "Call grandma");
    await expect.poll(() => pendingShown(bob), LIVE).toBe(0);
    expect(await todosShown(bob)).toEqual(["Buy milk (done)", "Call grandma (done)"]);
    expect(await todosShown(alice)).toEqual(["Call grandma on Sunday", "Buy milk (done)"]);
    expect(await pendingShown(alice)).toBeGreaterThan(0);

    await contexts[0]!.setOffline(false);
    await expect.poll(() => pendingShown(alice), LIVE).toBe(0);
    for (const member of [alice, bob]) {
      await expect.poll(() => todosShown(member), LIVE).toEqual(["Buy milk (done)", "Call grandma on Sunday (done)"]);
    }
  });

  it("shows an outsider none of the family's to-dos, refuses it the family's datasets and a made-up invite code", async () => {
    await openApp(outsider, app.url);
    await expect.poll(() => outsider.locator("#list-name").textContent()).toBe("My to-dos");
    await addTodo(outsider, "My own");
    expect(await todoTitles(outsider)).toEqual(["My own"]);

    // Asking for the family's datasets by name: the server refuses to read them.
    const refused = await outsider.evaluate(async (name) => {
      const todos = window.notesApp.client.sharedDataset(`${name}.todos`);
      const answer = await todos.sync().then(
        () => "read",
        (error: { code?: string; details?: { reason?: string } }) => `${error.code}:${error.details?.reason}`,
      );
      return { answer, records: Object.keys(await todos.getAll()) };
    }, family);
    expect(refused).toEqual({ answer: "FORBIDDEN:SHARED_DENIED", records: [] });

    // A code for the family made up without the invite secret does not let it in.
    await outsider.locator("#invite-code").fill(`${family}-AAAAAAAAAAAAAAAA`);
    await outsider.click("#join-family");
    const error = outsider.locator("#family-error");
    await error.waitFor({ state: "visible" });
    expect(await error.getAttribute("data-code")).toBe("BAD_USER_INPUT");
    expect(await outsider.locator("#list-name").textContent()).toBe("My to-dos");
    expect(await todoTitles(outsider)).toEqual(["My own"]);
    // And the family's list went on without it.
    expect(await todosShown(alice)).toEqual(["Buy milk (done)", "Call grandma on Sunday (done)"]);
  });
});
