/**
 * Retention: events older than their pool's `stream.retentionHours` are deleted, and so are the
 * oldest events of a shard whose bodies total more than its share of `stream.retentionBytes` (the
 * pool's bytes split evenly over its shards), oldest first, in
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

/** Retention of a pool that no longer has settings, by size: 1 GiB. */
const DEFAULT_RETENTION_BYTES = 1_073_741_824;

/** A pool's retention: by age (hours) and by size (bytes of event bodies over all its shards). */
export interface Retention {
  hours: number;
  bytes: number;
}

/** Returns a pool's retention, or null when the pool is unknown. */
export type RetentionOf = (poolId: string) => Promise<Retention | null>;

/** Trims every shard of every pool once; returns how many events were deleted. */
export async function trimExpiredEvents(storage: StreamStore, retentionOf: RetentionOf, now: number): Promise<number> {
  const heads = await storage.streamHeads();
  const shardsOf = new Map<string, number>();
  for (const { poolId } of heads) shardsOf.set(poolId, (shardsOf.get(poolId) ?? 0) + 1);
  const retentions = new Map<string, Retention>();
  let deleted = 0;
  for (const { poolId, shard } of heads) {
    if (!retentions.has(poolId)) retentions.set(poolId, (await retentionOf(poolId)) ?? { hours: DEFAULT_RETENTION_HOURS, bytes: DEFAULT_RETENTION_BYTES });
    const retention = retentions.get(poolId)!;
    const cutoffMs = now - retention.hours * 3_600_000;
    const shardBytes = Math.floor(retention.bytes / shardsOf.get(poolId)!);
    deleted += await inBatches(() => storage.trimStream(poolId, shard, cutoffMs, TRIM_BATCH));
    deleted += await inBatches(() => storage.trimStreamToBytes(poolId, shard, shardBytes, TRIM_BATCH));
  }
  return deleted;
}

/** Runs one trim statement until it deletes less than a batch; returns the total deleted. */
async function inBatches(trim: () => Promise<number>): Promise<number> {
  let deleted = 0;
  for (;;) {
    const count = await trim();
    deleted += count;
    if (count < TRIM_BATCH) return deleted;
    await yieldToOthers(); // let queued writers in between batches
  }
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
