/**
 * How many guest identities one client address may create in a pool: at most
 * `rateLimits.maxGuestIdentitiesPerAddressPerHour`, as a token bucket holding that many and
 * refilling over an hour. Guests cost nothing to ask for (no login, no signature), and every one
 * is a row kept for good, so without a cap one script fills the database. Both doors that create
 * guests take from the same bucket: GraphQL `signIn` and the AWS `GetId`.
 *
 * Like the request buckets (`rate-limiter.ts`), it counts in memory per server instance and in
 * monotonic time (`clock`), which tests advance instead of waiting an hour.
 */
import { isSyncpoolError, SyncpoolError } from "../../core/errors.js";
import type { PoolSettings } from "./pool-settings.js";
import { createRateLimiter } from "./rate-limiter.js";

/** Admits or refuses the creation of one guest identity. */
export interface GuestQuota {
  /**
   * Takes one guest from `address`'s allowance in `pool`; call it just before creating the guest.
   * @throws SyncpoolError RATE_LIMITED (`limit: "guestIdentitiesPerAddress"`, `retryAfterMs`).
   */
  admit(pool: Pick<PoolSettings, "id" | "rateLimits">, address: string): void;
}

const SECONDS_PER_HOUR = 3600;

/** Builds a quota; `clock` is monotonic milliseconds (the rate limiter's default otherwise). */
export function createGuestQuota(options: { clock?: () => number; maxBuckets?: number } = {}): GuestQuota {
  const limiter = createRateLimiter(options);
  return {
    admit(pool, address) {
      const perHour = pool.rateLimits.maxGuestIdentitiesPerAddressPerHour;
      try {
        limiter.take("perAddress", `${pool.id}\u0000${address}`, { burst: perHour, perSecond: perHour / SECONDS_PER_HOUR });
      } catch (error) {
        if (!isSyncpoolError(error)) throw error;
        const retryAfterMs = Number(error.details["retryAfterMs"] ?? 0);
        throw new SyncpoolError("RATE_LIMITED", `too many new guest identities from this address (at most ${perHour} an hour): retry in ${retryAfterMs} ms`, {
          retryAfterMs,
          limit: "guestIdentitiesPerAddress",
        });
      }
    },
  };
}
