/**
 * The rate limits of the AWS endpoints: the same token buckets the GraphQL API takes from
 * (`server/identity/rate-limiter.ts`, one limiter shared by both), so a client gains nothing by
 * switching APIs, and the same new-guest quota as GraphQL `signIn`. One throttle per request,
 * bound to the client's address (`server/client-address.ts`):
 *
 * - `address(pool)` as soon as the request's pool is known (before verifying logins, which may
 *   fetch a provider's keys); a request for no known pool takes from one shared bucket per address;
 * - `identity(pool, id)` once the caller proved it acts for that identity (never on an id merely
 *   named, or anyone could drain a victim's bucket);
 * - `newGuest(pool)` just before an unauthenticated GetId creates a guest.
 *
 * An empty bucket throws RATE_LIMITED, which `aws-errors.ts` answers as 429 TooManyRequestsException.
 */
import { DEFAULT_RATE_LIMITS } from "../identity/access-settings.js";
import type { GuestQuota } from "../identity/guest-quota.js";
import type { PoolSettings } from "../identity/pool-settings.js";
import type { RateLimiter } from "../identity/rate-limiter.js";

/** The limits one AWS request takes from. */
export interface AwsThrottle {
  /** @throws SyncpoolError RATE_LIMITED when the address's bucket in `pool` (or for unknown pools) is empty. */
  address(pool: PoolSettings | null): void;
  /** @throws SyncpoolError RATE_LIMITED when the identity's bucket is empty. */
  identity(pool: PoolSettings, identityId: string): void;
  /** @throws SyncpoolError RATE_LIMITED when the address created its hourly allowance of guests. */
  newGuest(pool: PoolSettings): void;
}

/** A throttle for one request from `address`. */
export function createAwsThrottle(deps: { limiter: RateLimiter; guestQuota: GuestQuota }, address: string): AwsThrottle {
  return {
    address(pool) {
      // The key matches the GraphQL context's, so both APIs drain one bucket per address and pool.
      deps.limiter.take("perAddress", `${pool?.id ?? "\u0000unknown"}\u0000${address}`, pool?.rateLimits.perAddress ?? DEFAULT_RATE_LIMITS.perAddress);
    },
    identity(pool, identityId) {
      deps.limiter.take("perIdentity", identityId, pool.rateLimits.perIdentity);
    },
    newGuest(pool) {
      deps.guestQuota.admit(pool, address);
    },
  };
}

