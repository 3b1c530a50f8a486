/**
 * A guest signing in with a login: the two steps around the sign-in that let a guest's writes
 * survive being merged into the login's identity (docs/identity.md, "Guest merge").
 * `pushBeforeMerge` runs before the sign-in, `finishGuestMerge` after a sign-in that merged it.
 */
import type { Active } from "./active-identity.js";
import type { Emitter } from "./events.js";
import { deleteIdentityDb, openIdentityDb, type IndexedDbDependencies } from "./store/identity-db.js";
import { countPending, readDatasetMetas } from "./store/read-records.js";

/**
 * Pushes the signed-in identity's pending writes (best effort), so a merge the sign-in may cause
 * carries them. Failures are reported by the sync loop; offline, the sign-in fails anyway.
 */
export async function pushBeforeMerge(active: Active): Promise<void> {
  await active.docs.flushed().catch(() => undefined);
  if ((await countPending(active.db)) === 0) return;
  await active.loop.sync("all").catch(() => undefined);
}

/**
 * The guest `guestId` was merged into `mergedIdentityIds`' target: emits `datasetsMerged` for each
 * dataset it held here, and deletes its local database unless writes are still pending in it
 * (those are kept rather than lost). Its database must be closed (deactivated) already.
 */
export async function finishGuestMerge(
  guestId: string,
  mergedIdentityIds: string[],
  deps: { indexedDb: IndexedDbDependencies; emitter: Emitter },
): Promise<void> {
  const db = await openIdentityDb(guestId, deps.indexedDb);
  const names = (await readDatasetMetas(db)).map((meta) => meta.dataset);
  const pending = await countPending(db);
  db.close();
  if (pending === 0) await deleteIdentityDb(guestId, deps.indexedDb);
  for (const dataset of names) deps.emitter.emit("datasetsMerged", { dataset, mergedDatasetNames: [], mergedIdentityIds });
}
