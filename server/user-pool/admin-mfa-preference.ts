/**
 * AdminSetUserMFAPreference: the pool's developer sets a user's MFA, signed with SigV4 like the
 * group operations (`admin-auth.ts`), with the same settings and checks as the user's own
 * SetUserMFAPreference (`mfa-preference.ts`). `Username` is the username or a sign-in alias.
 */
import type { DeveloperOperation } from "./developer-operation.js";
import { applyMfaPreference } from "./mfa-preference.js";
import { UserPoolError } from "./user-pool-errors.js";
import { findUser, requiredString } from "./user-pool-input.js";

/** AdminSetUserMFAPreference. */
export const adminSetUserMfaPreference: DeveloperOperation = async (deps, body, pool) => {
  const user = await findUser(deps, pool, requiredString(body, "Username", 128));
  if (user === null) throw new UserPoolError("UserNotFoundException", "User does not exist.");
  await applyMfaPreference(deps, pool, user, body);
  return {};
};

/** The developer's MFA operations, by X-Amz-Target name. */
export const ADMIN_MFA_OPERATIONS: Record<string, DeveloperOperation> = {
  AdminSetUserMFAPreference: adminSetUserMfaPreference,
};
