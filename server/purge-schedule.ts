/**
 * The server's purge schedule: forgetting remembered push answers (idempotent replay needs them
 * only while a device may still retry) and the user pool's answered challenge sessions (a replay
 * needs refusing only until the session expires; after that it no longer opens), and removing
 * expired model tombstones.
 */
import type { Logger } from "./logger.js";
import type { Storage } from "./storage/storage.js";

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/** A purge run beside the push answers' on the same schedule; resolves with how much it removed. */
export interface ScheduledPurge {
  /** What it removes, for the log ("expired model tombstones"). */
  what: string;
  run: () => Promise<number>;
}

/**
 * Forgets answers to pushes older than the retention and answered challenge sessions that have
 * expired, and runs `others`, once at start and then hourly. Each purge fails alone (logged); the
 * timer does not keep the process up.
 */
export function schedulePurge(storage: Storage, retentionHours: number, now: () => number, logger: Logger, others: readonly ScheduledPurge[] = []): () => void {
  const purges: ScheduledPurge[] = [
    { what: "remembered push answers", run: () => storage.datasets.purgeMutations(now() - retentionHours * 3_600_000) },
    { what: "answered user-pool challenge sessions", run: () => storage.userPools.purgeUsedChallengeSessions(now()) },
    ...others,
  ];
  const purge = () => {
    for (const { what, run } of purges) {
      run()
        .then((count) => count > 0 && logger.info({ count }, `purged ${what}`))
        .catch((error: unknown) => logger.warn({ err: error }, `purging ${what} failed`));
    }
  };
  purge();
  const timer = setInterval(purge, PURGE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
