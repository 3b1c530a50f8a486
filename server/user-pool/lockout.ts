/**
 * Cognito's lockout of password guessing: after five failed sign-ins in a row a user is locked
 * out for one second, and each further failure doubles that, up to fifteen minutes. A count with
 * no failure for fifteen minutes starts again, and a completed sign-in clears it. While locked
 * out every sign-in of the user is refused with NotAuthorizedException "Password attempts
 * exceeded", whatever the password, and is not counted. Wrong passwords (USER_PASSWORD_AUTH,
 * SRP) and wrong MFA codes count alike. Unknown users have nothing to count.
 */
import type { UserPoolSignInFailures, UserPoolUser } from "../storage/user-pool-store.js";
import type { UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";

/** Failures allowed before the first lockout. */
export const FAILURES_BEFORE_LOCKOUT = 5;
/** The first lockout; each further failure doubles it. */
export const FIRST_LOCKOUT_MS = 1000;
/** The longest lockout, and the quiet time after which the count starts again. */
export const MAX_LOCKOUT_MS = 15 * 60_000;

/** When a user with `failures` stops being locked out (epoch ms); `lastFailedAt` when not locked. */
export function lockedUntil({ failures, lastFailedAt }: UserPoolSignInFailures): number {
  if (failures < FAILURES_BEFORE_LOCKOUT) return lastFailedAt;
  const doublings = failures - FAILURES_BEFORE_LOCKOUT;
  return lastFailedAt + (doublings >= 20 ? MAX_LOCKOUT_MS : Math.min(FIRST_LOCKOUT_MS * 2 ** doublings, MAX_LOCKOUT_MS));
}

/**
 * Refuses a sign-in of a locked-out user; returns the counted failures (null when none) so a
 * completed sign-in knows whether there is a count to clear.
 * @throws NotAuthorizedException "Password attempts exceeded"
 */
export async function checkLockout(deps: UserPoolDeps, user: Pick<UserPoolUser, "poolId" | "sub">): Promise<UserPoolSignInFailures | null> {
  const counted = await deps.store.getSignInFailures(user.poolId, user.sub);
  if (counted !== null && deps.now() < lockedUntil(counted)) throw new UserPoolError("NotAuthorizedException", "Password attempts exceeded");
  return counted;
}

/** Counts a failed sign-in of `user`. */
export async function countFailedSignIn(deps: UserPoolDeps, user: Pick<UserPoolUser, "poolId" | "sub">): Promise<void> {
  const now = deps.now();
  const counted = await deps.store.countSignInFailure(user.poolId, user.sub, now, now - MAX_LOCKOUT_MS);
  if (counted.failures >= FAILURES_BEFORE_LOCKOUT) {
    deps.logger.warn({ poolId: user.poolId, sub: user.sub, failures: counted.failures, lockedUntil: lockedUntil(counted) }, "user-pool sign-in locked out after failed attempts");
  }
}

/** Clears a user's count after a completed sign-in (no write when there was none). */
export async function clearFailedSignIns(deps: UserPoolDeps, user: Pick<UserPoolUser, "poolId" | "sub">, counted: UserPoolSignInFailures | null): Promise<void> {
  if (counted !== null) await deps.store.clearSignInFailures(user.poolId, user.sub);
}
