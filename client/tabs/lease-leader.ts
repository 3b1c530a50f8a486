/**
 * Leadership by lease, where there are no Web Locks: the tab holding the database's lease row
 * (`store/lease.ts`) leads. The leader renews it every third of its length; the others check it
 * as often and take it once it has expired (the leader's tab was closed or frozen) or was
 * released (the leader closed or signed out). A frozen leader that wakes after its lease passed to
 * another tab learns it on its next check and follows.
 */
import type { LeaseStore } from "../store/lease.js";

/** The lease length by default: a closed tab's lead passes on within 10 s plus one check. */
export const DEFAULT_LEASE_MS = 10_000;

export interface LeaseLeaderOptions {
  lease: LeaseStore;
  /** The lease length, ms; checks run every third of it. */
  leaseMs: number;
  /** Wall clock, epoch ms. */
  now(): number;
  onLeader(): void;
  /** This tab held the lead and lost it (another tab took the expired lease). */
  onFollower(): void;
  /** A follower asked for a pass (seen by the leader on a check). */
  onSyncWanted(): void;
}

/** One tab's part in the lease (see the module comment). */
export interface LeaseLeader {
  readonly isLeader: boolean;
  /** Asks the leader for a pass (this tab follows and has no channel to ask on). */
  requestSync(): void;
  /** Stops checking and frees the lease at once if this tab holds it. */
  close(): void;
}

/** Starts checking the lease; the first check runs at once. */
export function leadByLease(options: LeaseLeaderOptions): LeaseLeader {
  const holder = globalThis.crypto.randomUUID();
  let leader = false;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const check = async () => {
    timer = null;
    let held = false;
    let syncWanted = false;
    try {
      ({ leader: held, syncWanted } = await options.lease.check(holder, options.now(), options.leaseMs));
    } catch {
      // The database is closing or failed: lead no longer than the lease we may still hold.
    }
    if (closed) return;
    const was = leader;
    leader = held;
    if (leader && !was) options.onLeader();
    if (!leader && was) options.onFollower();
    if (leader && syncWanted) options.onSyncWanted();
    timer = setTimeout(() => void check(), Math.max(1, Math.floor(options.leaseMs / 3)));
  };
  void check();

  return {
    get isLeader() {
      return leader && !closed;
    },
    requestSync() {
      if (!closed && !leader) options.lease.requestSync().catch(() => undefined);
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      try {
        options.lease.release(holder);
      } catch {
        // The database is already closed: the lease expires by itself.
      }
    },
  };
}
