/**
 * Per-address request limits of the user-pool API, beside Cognito's per-user lockout (`lockout.ts`):
 * the lockout stops guessing one user's password, these stop one address from spraying many users,
 * creating accounts in bulk or mailing codes to strangers. Token buckets per (pool, client address,
 * kind), in memory and per server instance (`server/identity/rate-limiter.ts`): sharing them through
 * storage would cost a write on every sign-in, so with N instances an address gets up to N times the
 * configured rate. An empty bucket refuses before the operation runs, so a refused request changes
 * nothing (no lockout counted, no code sent, no audit event), and says in `Retry-After` how many
 * seconds until the bucket holds a token again.
 */
import { isSyncpoolError } from "../../core/errors.js";
import { addressBucket } from "../ip-address.js";
import { createRateLimiter } from "../identity/rate-limiter.js";
import type { UserPoolRateLimits } from "./user-pool-config.js";
import type { LoadedUserPool } from "./user-pool-deps.js";
import { TooManyRequestsError } from "./user-pool-errors.js";

/** Which bucket each limited operation takes from; operations not listed are not limited here. */
export const LIMITED_OPERATIONS: Readonly<Record<string, keyof UserPoolRateLimits>> = {
  InitiateAuth: "signIn",
  RespondToAuthChallenge: "signIn",
  SignUp: "signUp",
  ResendConfirmationCode: "signUp",
  ForgotPassword: "forgotPassword",
  ConfirmSignUp: "codeConfirmation",
  ConfirmForgotPassword: "codeConfirmation",
};

/** Takes one request of an operation from its address's bucket. */
export interface AddressLimits {
  /**
   * Takes a token for `operation` from `address` in `pool` (null: a ClientId naming no pool, which
   * the operation refuses anyway, so nothing is taken).
   * @throws TooManyRequestsError when the bucket is empty.
   */
  take(operation: string, pool: LoadedUserPool | null, address: string): void;
  /**
   * Takes a token from `address`'s bucket of `kind` in `pool`, for requests that are not API
   * operations (the hosted UI's sign-in form takes from `signIn`, as InitiateAuth does).
   * @throws TooManyRequestsError when the bucket is empty.
   */
  takeFrom(kind: keyof UserPoolRateLimits, pool: LoadedUserPool, address: string): void;
}

/** Builds the limits; `clock` is monotonic milliseconds (`performance.now` by default). */
export function createAddressLimits(options: { clock?: () => number } = {}): AddressLimits {
  const limiter = createRateLimiter(options.clock ? { clock: options.clock } : {});
  const takeFrom = (kind: keyof UserPoolRateLimits, pool: LoadedUserPool, address: string) => {
    try {
      limiter.take("perAddress", `${pool.settings.id}\u0000${kind}\u0000${addressBucket(address)}`, pool.settings.rateLimits[kind]);
    } catch (error) {
      if (!isSyncpoolError(error)) throw error;
      const retryAfterMs = Number(error.details["retryAfterMs"] ?? 1000);
      throw new TooManyRequestsError(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    }
  };
  return {
    take(operation, pool, address) {
      const kind = Object.hasOwn(LIMITED_OPERATIONS, operation) ? LIMITED_OPERATIONS[operation] : undefined;
      if (kind !== undefined && pool !== null) takeFrom(kind, pool, address);
    },
    takeFrom,
  };
}
