/**
 * `dataset.pendingWrites()` and `dataset.discardPending()` for the signed-in identity: the outbox
 * as the app sees it, and dropping from it (the store's `dropPending` does the dropping and sets up
 * the restore; this module orders it after a running pass and has the server's values pulled).
 */
import type { Active } from "./active-identity.js";
import type { PendingWrite } from "./dataset.js";
import { dropPending, readPending } from "./store/drop-pending.js";

/** The identity's pending writes to `dataset`, in write order. */
export async function listPendingWrites(active: Active, dataset: string): Promise<PendingWrite[]> {
  return (await readPending(active.db, dataset)).map((row) => ({
    key: row.key,
    op: row.op,
    value: row.value,
    kind: row.kind,
    deviceLastModifiedAt: row.deviceLastModifiedAt,
  }));
}

/** Drops the pending writes of `key` (or all) in `dataset`; resolves to how many were dropped. */
export async function discardPendingWrites(active: Active, dataset: string, key?: string): Promise<number> {
  // After a running pass, so a batch being sent is either acknowledged or dropped, not both.
  const dropped = await active.tabs.exclusive(() => dropPending(active.db, dataset, (row) => key === undefined || row.key === key));
  if (dropped.rows.length === 0) return 0;
  active.docs.apply(dataset, dropped.removed);
  // The pull that brings the server's values back (at once, when online and syncing by itself).
  active.tabs.wrote(dataset, [...new Set(dropped.rows.map((row) => row.key))], { debounce: false });
  return dropped.rows.length;
}
