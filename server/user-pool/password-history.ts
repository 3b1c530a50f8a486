/**
 * Cognito's password history: with the pool's `passwordHistorySize` n above 0, a new password may
 * not be the current one nor one of the n-1 before it (ChangePassword, ConfirmForgotPassword,
 * NEW_PASSWORD_REQUIRED). Replaced passwords are kept only as their argon2id hashes, so checking
 * costs one verification per remembered password.
 */
import type { UserPoolUser } from "../storage/user-pool-store.js";
import type { LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { verifyPassword } from "./passwords.js";

/**
 * Refuses `password` when it is among the user's last n passwords.
 * @throws PasswordHistoryPolicyViolationException
 */
export async function checkPasswordHistory(deps: UserPoolDeps, pool: LoadedUserPool, user: UserPoolUser, password: string): Promise<void> {
  const size = pool.settings.passwordPolicy.passwordHistorySize;
  if (size === 0) return;
  const hashes = [user.passwordHash, ...(await deps.store.listPasswordHistory(user.poolId, user.sub, size - 1))];
  for (const hash of hashes) {
    if (await verifyPassword(hash, password)) {
      throw new UserPoolError("PasswordHistoryPolicyViolationException", "The new password matches a previous password and does not comply with the password-history policy.");
    }
  }
}

/** Remembers the password `user` had before it was just replaced (nothing when the pool keeps no history). */
export async function rememberReplacedPassword(deps: UserPoolDeps, pool: LoadedUserPool, user: UserPoolUser): Promise<void> {
  const keep = pool.settings.passwordPolicy.passwordHistorySize - 1;
  if (keep > 0) await deps.store.addPasswordHistory(user.poolId, user.sub, user.passwordHash, deps.now(), keep);
}
