/**
 * At most `limit` runs of some async work at once; the rest wait in order. The user pool puts
 * argon2id behind one: each hash is memory-bound (12 MiB), and more of them than there are cores
 * (libuv runs four at once) evict each other from the caches, so each costs more CPU time and
 * fewer finish per second, while they also hold every libuv thread that token signing needs.
 */

/** Runs `work` when one of the `limit` places is free. */
export type ConcurrencyLimit = <T>(work: () => Promise<T>) => Promise<T>;

/** A limit of `limit` (at least 1) runs at once, first come first served. */
export function createConcurrencyLimit(limit: number): ConcurrencyLimit {
  const places = Math.max(1, Math.floor(limit));
  const waiting: Array<() => void> = [];
  let running = 0;
  return async (work) => {
    if (running < places) running += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      // The place passes straight to the next in line, so `running` counts it still.
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}
