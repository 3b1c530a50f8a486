/**
 * Token buckets, in memory: one per identity and one per (pool, client address) for requests, and
 * one per identity for pushed bytes. A request takes one token (a push as many as it has bytes); a
 * bucket holds at most `burst` and refills at `perSecond`. An empty bucket refuses
 * with RATE_LIMITED and `retryAfterMs`, the time until it holds a token again.
 *
 * Buckets refill in real (monotonic) time, not the server's injectable clock: moving server time
 * to expire tokens in a test must not refill them. Each server instance counts on its own, so
 * with N instances behind a balancer a client gets up to N times the configured rate; the limits
 * are a guard against floods, not a quota. The least recently used buckets are forgotten beyond
 * `maxBuckets` (a forgotten bucket is full again), which bounds memory under an address flood.
 */
import { SyncpoolError } from "../../core/errors.js";
import type { BucketSettings } from "./access-settings.js";

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

/** What a bucket counts: requests per identity or per address, or bytes pushed per identity. */
export type BucketKind = "perIdentity" | "perAddress" | "pushBytes";

const REFUSALS: Record<BucketKind, string> = {
  perIdentity: "too many requests for this identity",
  perAddress: "too many requests from this address",
  pushBytes: "too many bytes pushed by this identity",
};

/** Takes tokens from named buckets. */
export interface RateLimiter {
  /**
   * Takes `cost` tokens (default one) from the bucket `key` configured by `settings`. A cost over
   * `burst` takes a full bucket, so it is slowed down, never refused forever.
   * @throws SyncpoolError RATE_LIMITED with `retryAfterMs` and `limit` (the bucket's kind).
   */
  take(kind: BucketKind, key: string, settings: BucketSettings, cost?: number): void;
}

/** Builds a limiter; `clock` is monotonic milliseconds. */
export function createRateLimiter(options: { clock?: () => number; maxBuckets?: number } = {}): RateLimiter {
  const clock = options.clock ?? (() => performance.now());
  const maxBuckets = options.maxBuckets ?? 100_000;
  const buckets = new Map<string, Bucket>();

  return {
    take(kind, key, settings, cost = 1) {
      const need = Math.min(cost, settings.burst);
      const name = `${kind}\u0000${key}`;
      const now = clock();
      const previous = buckets.get(name);
      const elapsedMs = previous ? Math.max(0, now - previous.updatedAtMs) : 0;
      const available = previous ? Math.min(settings.burst, previous.tokens + (elapsedMs / 1000) * settings.perSecond) : settings.burst;
      // Re-inserting keeps the map in least-recently-used order.
      buckets.delete(name);
      if (available < need) {
        buckets.set(name, { tokens: available, updatedAtMs: now });
        const retryAfterMs = Math.ceil(((need - available) / settings.perSecond) * 1000);
        throw new SyncpoolError("RATE_LIMITED", `${REFUSALS[kind]}: retry in ${retryAfterMs} ms`, {
          retryAfterMs,
          limit: kind,
        });
      }
      buckets.set(name, { tokens: available - need, updatedAtMs: now });
      if (buckets.size > maxBuckets) buckets.delete(buckets.keys().next().value!);
    },
  };
}
