/**
 * Brute-force guard of the admin token: per client address, failed attempts beyond a few free ones
 * lock the address out for a delay that doubles with each further failure, up to a cap. While
 * locked out, every admin call from the address is refused, the right token included, so guessing
 * costs the attacker the delay whatever they send. A success clears the address's record.
 *
 * The clock is injected (the server's `now`), so tests move time instead of waiting. Records live
 * in memory, per instance; the oldest are forgotten beyond `maxAddresses`, which bounds memory when
 * an attacker rotates addresses (each new address starts with only the free attempts).
 */
import { SyncpoolError } from "../../core/errors.js";

/** Tuning of the lockout; the defaults suit an admin API used by people and scripts. */
export interface AdminLockoutSettings {
  /** Failures allowed before the first lockout. Default 5. */
  freeAttempts: number;
  /** The first lockout; each further failure doubles it. Default 1 s. */
  baseDelayMs: number;
  /** The longest lockout. Default 15 minutes. */
  maxDelayMs: number;
  /** Addresses remembered at most. Default 10 000. */
  maxAddresses: number;
}

/** The defaults of `AdminLockoutSettings`. */
export const DEFAULT_ADMIN_LOCKOUT: AdminLockoutSettings = { freeAttempts: 5, baseDelayMs: 1000, maxDelayMs: 15 * 60_000, maxAddresses: 10_000 };

/** Tracks failed admin-token attempts per client address. */
export interface AdminLockout {
  /**
   * Runs before the token is compared.
   * @throws SyncpoolError RATE_LIMITED (`reason: ADMIN_LOCKOUT`, `retryAfterMs`) while the address is locked out.
   */
  check(address: string): void;
  /** Records a wrong token from `address`. */
  fail(address: string): void;
  /** Forgets the address's failures (the right token was sent). */
  succeed(address: string): void;
}

interface Failures {
  count: number;
  lockedUntilMs: number;
}

/** Builds a lockout over `now` (epoch ms). */
export function createAdminLockout(now: () => number, settings: Partial<AdminLockoutSettings> = {}): AdminLockout {
  const { freeAttempts, baseDelayMs, maxDelayMs, maxAddresses } = { ...DEFAULT_ADMIN_LOCKOUT, ...settings };
  const failures = new Map<string, Failures>();

  return {
    check(address) {
      const entry = failures.get(address);
      const retryAfterMs = entry ? entry.lockedUntilMs - now() : 0;
      if (retryAfterMs > 0) {
        throw new SyncpoolError("RATE_LIMITED", `too many wrong admin tokens from this address: retry in ${retryAfterMs} ms`, {
          reason: "ADMIN_LOCKOUT",
          retryAfterMs,
        });
      }
    },
    fail(address) {
      const count = (failures.get(address)?.count ?? 0) + 1;
      const beyond = count - freeAttempts;
      // 2 ** beyond overflows to Infinity long before it matters; min() caps it either way.
      const delayMs = beyond > 0 ? Math.min(maxDelayMs, baseDelayMs * 2 ** (beyond - 1)) : 0;
      // Re-inserting keeps the map in least-recently-failed order for forgetting.
      failures.delete(address);
      failures.set(address, { count, lockedUntilMs: now() + delayMs });
      if (failures.size > maxAddresses) failures.delete(failures.keys().next().value!);
    },
    succeed(address) {
      failures.delete(address);
    },
  };
}
