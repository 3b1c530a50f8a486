/**
 * Retry delays after a failed sync: capped exponential backoff with jitter. Attempt 1 waits about
 * `baseMs`, each further attempt doubles it, never beyond `maxMs`. The jitter draws the delay from
 * [delay/2, delay] ("equal jitter"), so devices that failed together (a server restart) do not
 * come back together, yet no retry comes sooner than half the nominal delay.
 */

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Uniform in [0, 1); injectable for tests. */
  random?: () => number;
}

/** The nominal (jitter-free) delay before retry number `attempt` (1-based). */
export function nominalBackoffMs(attempt: number, options: BackoffOptions): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(options.maxMs, options.baseMs * 2 ** exponent);
}

/** The delay before retry number `attempt` (1-based), jittered within [nominal/2, nominal]. */
export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const nominal = nominalBackoffMs(attempt, options);
  const random = options.random ?? Math.random;
  return Math.round(nominal / 2 + (nominal / 2) * random());
}
