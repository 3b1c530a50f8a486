/**
 * The console's orchestrator: sign-in form, navigation and the hash router. Pages live in their
 * own files (`nav.ts` lists them); all server calls go through `admin-api.ts`.
 */
import { AdminApiError, createAdminApi, storedToken, storeToken, type AdminApi } from "./admin-api.js";
import { byId, h, replace } from "./dom.js";
import { PAGES, type ConsolePage } from "./nav.js";
import "./style.css";

const nav = byId("nav");
const pageContainer = byId("page");
const signedOut = byId("signed-out");
const errorLine = byId("error");
let stopPage: (() => void) | null = null;
let api: AdminApi | null = null;

function showError(error: unknown): void {
  errorLine.hidden = error === null;
  errorLine.textContent = error instanceof Error ? error.message : String(error ?? "");
  // A token that stopped working (rotated, or mistyped) sends the admin back to the form.
  if (error instanceof AdminApiError && error.code === "UNAUTHENTICATED") signOut();
}

function route(): void {
  stopPage?.();
  stopPage = null;
  if (!api) return;
  const id = location.hash.replace(/^#\//, "");
  const page: ConsolePage = PAGES.find((candidate) => candidate.id === id) ?? PAGES[0]!;
  for (const link of nav.querySelectorAll("a")) link.classList.toggle("current", link.dataset["page"] === page.id);
  showError(null);
  replace(pageContainer, h("h2", {}, page.title));
  stopPage = page.render(pageContainer, api, showError);
}

function signIn(token: string): void {
  api = createAdminApi(token);
  signedOut.hidden = true;
  pageContainer.hidden = false;
  nav.hidden = false;
  byId("sign-out").hidden = false;
  route();
}

function signOut(): void {
  storeToken(null);
  api = null;
  stopPage?.();
  stopPage = null;
  signedOut.hidden = false;
  pageContainer.hidden = true;
  nav.hidden = true;
  byId("sign-out").hidden = true;
}

replace(nav, ...PAGES.map((page) => h("a", { href: `#/${page.id}`, "data-page": page.id }, page.title)));
window.addEventListener("hashchange", route);
byId("sign-out").addEventListener("click", signOut);
byId<HTMLFormElement>("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>("admin-token");
  const candidate = createAdminApi(input.value);
  try {
    // Checks the token before keeping it: the cheapest admin query.
    await candidate.gql("{ identityPools { id } }");
  } catch (error) {
    showError(error instanceof AdminApiError && error.code === "UNAUTHENTICATED" ? new Error("that is not the admin token") : error);
    return;
  }
  const token = input.value;
  input.value = "";
  storeToken(token);
  signIn(token);
});

const kept = storedToken();
if (kept !== null) signIn(kept);
