/**
 * Retention: events older than their pool's `stream.retentionHours` are deleted, oldest first, in
 * small batches with a pause between them, so trimming never holds the (SQLite) writer for long
 * and never blocks appends (on PostgreSQL it takes no lock appends wait for). Runs at start and
 * then every `TRIM_INTERVAL_MS`. Consumers that fall further behind than retention lose the
 * trimmed events (they log it); sequence numbers are never reused.
 */
import { setImmediate as yieldToOthers } from "node:timers/promises";
import type { Logger } from "../logger.js";
import type { StreamStore } from "../storage/stream-store.js";

/** How often retention runs. */
export const TRIM_INTERVAL_MS = 10 * 60_000;
/** Events deleted per statement. */
export const TRIM_BATCH = 500;
/** Retention of a pool that no longer has settings (the default). */
const DEFAULT_RETENTION_HOURS = 24;

/** Returns a pool's retention in hours, or null when the pool is unknown. */
export type RetentionOf = (poolId: string) => Promise<number | null>;

/** Trims every shard of every pool once; returns how many events were deleted. */
export async function trimExpiredEvents(storage: StreamStore, retentionOf: RetentionOf, now: number): Promise<number> {
  const heads = await storage.streamHeads();
  const cutoffs = new Map<string, number>();
  let deleted = 0;
  for (const { poolId, shard } of heads) {
    if (!cutoffs.has(poolId)) cutoffs.set(poolId, now - ((await retentionOf(poolId)) ?? DEFAULT_RETENTION_HOURS) * 3_600_000);
    for (;;) {
      const count = await storage.trimStream(poolId, shard, cutoffs.get(poolId)!, TRIM_BATCH);
      deleted += count;
      if (count < TRIM_BATCH) break;
      await yieldToOthers(); // let queued writers in between batches
    }
  }
  return deleted;
}

/** Trims now and every `intervalMs`; returns a stop function. The timer does not keep the process up. */
export function scheduleTrim(
  storage: StreamStore,
  retentionOf: RetentionOf,
  now: () => number,
  logger: Logger,
  intervalMs = TRIM_INTERVAL_MS,
): () => void {
  let running = false;
  const trim = () => {
    if (running) return;
    running = true;
    trimExpiredEvents(storage, retentionOf, now())
      .then((count) => count > 0 && logger.info({ count }, "trimmed expired stream events"))
      .catch((error: unknown) => logger.warn({ err: error }, "trimming expired stream events failed"))
      .finally(() => (running = false));
  };
  trim();
  const timer = setInterval(trim, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
