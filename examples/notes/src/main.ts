/**
 * The family to-do app's entry point: creates the syncpool client, signs in (as this device's guest, or
 * as the guest a transfer link names: `?identityId=…&deviceSecret=…`) and mounts the views over the
 * identity's own list, or over its family's once it is in one (mounted again when that changes).
 *
 * The GraphQL endpoint is `/graphql` on the page's own origin (the dev server proxies it to the
 * sync server); `?endpoint=` points elsewhere, `?pool=` picks another identity pool.
 */
import { createClient, isNetworkError, type SignInOptions, type SignInResult, type SyncClient } from "../../../client/index.js";
import { byId, listen } from "./dom.js";
import { storedFamily, watchFamily, type AppEndpoints } from "./family.js";
import { mountFamily } from "./family-view.js";
import { mountSettings } from "./settings-view.js";
import { mountStatus } from "./status-view.js";
import { mountTodoEditor } from "./todo-editor.js";
import { mountTodoList } from "./todo-list.js";
import { todoListOf } from "./todos.js";

declare global {
  interface Window {
    /** The app's client, for the console and the end-to-end tests. */
    notesApp: { client: SyncClient };
  }
}

const params = new URLSearchParams(location.search);
const endpoints: AppEndpoints = {
  graphql: params.get("endpoint") ?? new URL("/graphql", location.href).href,
  identityPoolId: params.get("pool") ?? "default",
};
const client = createClient({
  endpoint: endpoints.graphql,
  identityPoolId: endpoints.identityPoolId,
  // The tab leading sync holds a live subscription (WebSocket, through the dev server's proxy):
  // other devices' edits arrive as they are pushed. The default 60 s full sync stays as a fallback.
});
window.notesApp = { client };

let unmount: (() => void) | null = null;
/** Counts mounts, so a mount overtaken by a newer one (or a sign-out) while it read the family stops. */
let mounts = 0;

function showError(error: unknown): void {
  const banner = byId("app-error");
  banner.textContent = error instanceof Error ? error.message : String(error);
  banner.hidden = false;
}

function showSignedIn(signedIn: boolean): void {
  byId("signed-in").hidden = !signedIn;
  byId("signed-out").hidden = signedIn;
}

async function signIn(options: SignInOptions = {}): Promise<void> {
  byId("app-error").hidden = true;
  try {
    await mount(await client.signIn(options));
  } catch (error) {
    showError(error);
    showSignedIn(false);
  }
}

async function mount(result: SignInResult): Promise<void> {
  const attempt = ++mounts;
  unmount?.();
  unmount = null;
  showSignedIn(true);
  const membership = await storedFamily(client);
  if (attempt !== mounts) return;
  const list = todoListOf(client, membership?.family ?? null);
  const editor = mountTodoEditor(list, showError);
  const stops = [
    mountStatus(client, [list.todos, list.bodies, client.dataset("settings")], showError),
    mountSettings(client),
    mountFamily(client, result, endpoints, membership),
    mountTodoList(byId("todos"), client, list.todos, (id) => editor.select(id)),
    mountAccount(result),
    () => editor.close(),
    // This device, or another device of this identity, entered a family: show the family's list.
    watchFamily(client, (family) => {
      if (family !== list.family) void mount(result).catch(showError);
    }),
  ];
  unmount = () => {
    for (const stop of stops.reverse()) stop();
  };
}

/** The identity, its transfer link, and the sign-out buttons. */
function mountAccount(result: SignInResult): () => void {
  byId("identity").textContent = result.identityId;
  const link = byId<HTMLAnchorElement>("transfer-link");
  link.hidden = result.deviceSecret === null;
  if (result.deviceSecret !== null) {
    const url = new URL(location.href);
    url.searchParams.set("identityId", result.identityId);
    url.searchParams.set("deviceSecret", result.deviceSecret);
    link.href = url.href;
  }
  const stops = [
    listen(byId("sign-out"), "click", () => void client.signOut().catch(showError)),
    listen(byId("wipe"), "click", () => void client.signOut({ wipe: true }).catch(showError)),
  ];
  return () => stops.forEach((stop) => stop());
}

// Signed out here or in another tab of this browser.
client.on("signedOut", () => {
  mounts++;
  unmount?.();
  unmount = null;
  showSignedIn(false);
});
// The server refused changes for good (another device filled the quota while this one was
// offline, say): they are gone from this device, so the user must hear of it.
client.on("writeRejected", ({ dataset, records, error }) => {
  const banner = byId("write-rejected");
  const keys = records.map((record) => record.key).join(", ");
  banner.textContent = `${records.length} change(s) to ${dataset} (${keys}) were not saved: ${error.message}`;
  banner.dataset.code = error.code;
  banner.hidden = false;
});
// Being offline is normal here; other failures are worth showing.
client.on("syncError", ({ error }) => {
  if (!isNetworkError(error)) showError(error);
});
listen(byId("sign-in"), "click", () => void signIn());

const identityId = params.get("identityId");
const deviceSecret = params.get("deviceSecret");
if (identityId && deviceSecret) {
  // The secret has done its job: keep it out of the address bar and the history.
  params.delete("identityId");
  params.delete("deviceSecret");
  history.replaceState(null, "", `${location.pathname}${params.size > 0 ? `?${params}` : ""}`);
  void signIn({ identityId, deviceSecret });
} else {
  void signIn();
}
