/**
 * A small React app over syncpool/react for the browser tests: it shows the signed-in identity,
 * one record, a whole dataset, a bound doc's text, a query's rows and the sync state, each through
 * its hook. The test drives sign-in, sign-out and writes through `window.reactApp.client`.
 */
import { createElement as h } from "react";
import { createRoot } from "react-dom/client";
import { createClient, type SyncClient } from "../../../client/index.js";
import { SyncpoolProvider, useDataset, useDoc, useIdentity, useQuery, useRecord, useSyncState } from "../../../client/react/index.js";

declare global {
  interface Window {
    reactApp: { client: SyncClient };
  }
}

function Identity() {
  const identityId = useIdentity();
  return h("p", { id: "identity" }, identityId ?? "signed out");
}

function Greeting() {
  const greeting = useRecord("e2e", "greeting");
  return h("p", { id: "record" }, greeting ?? "(none)");
}

function AllRecords() {
  const records = useDataset("e2e");
  return h("pre", { id: "all" }, JSON.stringify(records));
}

function DocText() {
  const doc = useDoc("e2e-docs", "page");
  return h("p", { id: "doc" }, doc ? doc.getText("t").toString() : "(no doc)");
}

interface Task {
  title: string;
  done: boolean;
}

function OpenTasks() {
  const rows = useQuery<Task>("e2e-tasks", { where: { field: "done", eq: false }, orderBy: [{ field: "title" }] });
  return h("p", { id: "open-tasks" }, rows.map((row) => `${row.key}:${row.value.title}`).join(","));
}

function SyncStatus() {
  return h("p", { id: "sync-state" }, useSyncState());
}

const client = createClient({ endpoint: new URL("/graphql", location.href).href, identityPoolId: "default" });
window.reactApp = { client };
const root = document.getElementById("root");
if (!root) throw new Error("the page has no #root");
createRoot(root).render(
  h(SyncpoolProvider, { client }, h(Identity), h(Greeting), h(AllRecords), h(DocText), h(OpenTasks), h(SyncStatus)),
);
