/**
 * The sync status badge (online or offline, pending changes, last synced, which tab syncs), a
 * "Sync now" button, and the progress bar of a sync that fetches a lot (the first one on a new
 * device). Everything comes from the client's events and observables; nothing polls the server.
 */
import type { Dataset, SyncClient } from "../../../client/index.js";
import { byId, listen } from "./dom.js";

/**
 * Shows the sync state of `client`, with the pending changes of `datasets` (those the app writes)
 * added up; returns the function that stops.
 */
export function mountStatus(client: SyncClient, datasets: ReadonlyArray<Dataset<unknown>>, onError: (error: unknown) => void): () => void {
  const badge = byId("app-status");
  const progress = byId<HTMLProgressElement>("sync-progress");
  const pending = new Map<string, number>();
  const fetched = new Map<string, { fetched: number; total: number }>();
  let online = navigator.onLine;
  let syncing = false;
  let fresh = false;
  let lastSyncedAt: number | null = null;

  const render = () => {
    const pendingCount = [...pending.values()].reduce((sum, count) => sum + count, 0);
    badge.dataset.online = String(online);
    badge.dataset.pending = String(pendingCount);
    badge.dataset.syncing = String(syncing);
    byId("status-online").textContent = online ? "online" : "offline";
    byId("status-pending").textContent = `${pendingCount} pending`;
    byId("status-synced").textContent = lastSyncedAt === null ? "never synced" : `synced ${ago(lastSyncedAt)}`;
    byId("status-tab").textContent = client.leadsSync ? "this tab syncs" : "another tab syncs";
  };

  const showProgress = () => {
    const totals = [...fetched.values()];
    const total = totals.reduce((sum, entry) => sum + entry.total, 0);
    const done = totals.reduce((sum, entry) => sum + Math.min(entry.fetched, entry.total), 0);
    progress.max = Math.max(total, 1);
    progress.value = done;
    progress.dataset.total = String(total);
    progress.dataset.fetched = String(done);
    progress.hidden = !syncing || total === 0;
  };

  const subscriptions = datasets.map((dataset) =>
    dataset.observePendingCount().subscribe({
      next: (count) => {
        pending.set(dataset.name, count);
        render();
      },
    }),
  );
  const stops = [
    client.on("online", () => ((online = true), render())),
    client.on("offline", () => ((online = false), render())),
    client.on("syncStart", () => {
      syncing = true;
      fresh = true;
      render();
    }),
    client.on("syncProgress", ({ dataset, fetched: count, total }) => {
      // Only full fetches (a new device, a reset) know their total; the bar shows the latest one.
      if (total === undefined) return;
      if (fresh) fetched.clear();
      fresh = false;
      fetched.set(dataset, { fetched: count, total });
      showProgress();
    }),
    client.on("syncDone", () => {
      syncing = false;
      lastSyncedAt = Date.now();
      showProgress();
      render();
    }),
    client.on("syncError", () => {
      syncing = false;
      showProgress();
      render();
    }),
    listen(byId("sync-now"), "click", () => void client.sync().catch(onError)),
  ];
  // "synced 5 s ago" ages, and leadership moves when another tab closes.
  const timer = setInterval(render, 1_000);
  render();
  return () => {
    clearInterval(timer);
    for (const subscription of subscriptions) subscription.unsubscribe();
    for (const stop of stops) stop();
  };
}

function ago(at: number): string {
  const seconds = Math.round((Date.now() - at) / 1_000);
  return seconds < 2 ? "just now" : seconds < 120 ? `${seconds} s ago` : new Date(at).toLocaleTimeString();
}
