/**
 * The leader lease: the fallback for one sync leader per database where the browser has no Web
 * Locks (older Safari, some WebViews). The lease is one meta row (holder, expiry). Each read,
 * compare and write runs in one readwrite transaction on the meta table, and IndexedDB runs
 * readwrite transactions on one store one after another, across tabs too: two tabs never both
 * see the lease free and both take it.
 */
import type { IdentityDb } from "./identity-db.js";
import type { LeaseMeta } from "./rows.js";

const LEASE_ID = "lease";

/** What one lease check found. */
export interface LeaseCheck {
  /** True when `holder` holds the lease now (took it, renewed it, or it was free or expired). */
  leader: boolean;
  /** A follower asked for a pass since the last check (only reported to the leader, once). */
  syncWanted: boolean;
}

/** A database's lease, as a tab uses it (see `tabs/lease-leader.ts`). */
export interface LeaseStore {
  /** Takes or renews the lease for `holder` until `now + leaseMs` unless another holds it unexpired. */
  check(holder: string, now: number, leaseMs: number): Promise<LeaseCheck>;
  /**
   * Frees the lease if `holder` holds it, so the next tab need not wait for it to expire. Starts
   * at once, so the database may be closed right after; a failure only means the lease expires.
   */
  release(holder: string): void;
  /** Asks the lease holder for a pass (it sees it on its next check). */
  requestSync(): Promise<void>;
  /** Calls `listener` when another connection deletes the database (a wipe); returns the unsubscribe. */
  onDeleted(listener: () => void): () => void;
}

/** The lease kept in `db`'s meta table. */
export function databaseLease(db: IdentityDb): LeaseStore {
  return {
    check: (holder, now, leaseMs) =>
      db.transaction("rw", db.meta, async () => {
        const row = (await db.meta.get(LEASE_ID)) as LeaseMeta | undefined;
        const free = !row || row.holder === holder || row.expiresAt <= now;
        if (!free) return { leader: false, syncWanted: false };
        await db.meta.put({ id: LEASE_ID, holder, expiresAt: now + leaseMs } satisfies LeaseMeta);
        return { leader: true, syncWanted: row?.syncWanted === true };
      }),
    release(holder) {
      // The client closes the database right after: the transaction must exist before that (a
      // closing connection still completes its transactions), so it is created here at once, on
      // IndexedDB itself rather than through Dexie's queue.
      if (!db.isOpen()) return;
      const transaction = db.backendDB().transaction("meta", "readwrite");
      const meta = transaction.objectStore("meta");
      const read = meta.get(LEASE_ID);
      read.onsuccess = () => {
        if ((read.result as LeaseMeta | undefined)?.holder === holder) meta.delete(LEASE_ID);
      };
    },
    requestSync: () =>
      db.transaction("rw", db.meta, async () => {
        const row = (await db.meta.get(LEASE_ID)) as LeaseMeta | undefined;
        if (row && !row.syncWanted) await db.meta.put({ ...row, syncWanted: true });
      }),
    onDeleted(listener) {
      // IndexedDB asks every open connection to close before it deletes the database; Dexie
      // closes it by itself. A new version (an upgrade by a newer app) is no deletion.
      const onVersionChange = (event: IDBVersionChangeEvent) => {
        if (!event.newVersion) listener();
      };
      db.on("versionchange", onVersionChange);
      return () => db.on("versionchange").unsubscribe(onVersionChange);
    },
  };
}
