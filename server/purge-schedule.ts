/**
 * Forgetting remembered push answers: idempotent replay needs them only while a device may still retry.
 */
import type { Logger } from "./logger.js";
import type { Storage } from "./storage/storage.js";

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Forgets answers to pushes older than the retention (idempotent replay needs them only while a
 * device may still retry), once at start and then hourly. The timer does not keep the process up.
 */
export function schedulePurge(storage: Storage, retentionHours: number, now: () => number, logger: Logger): () => void {
  const purge = () => {
    storage
      .datasets.purgeMutations(now() - retentionHours * 3_600_000)
      .then((count) => count > 0 && logger.info({ count }, "purged remembered push answers"))
      .catch((error: unknown) => logger.warn({ err: error }, "purging remembered push answers failed"));
  };
  purge();
  const timer = setInterval(purge, PURGE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
