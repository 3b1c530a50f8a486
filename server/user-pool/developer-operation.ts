/**
 * What the pool developer's operations share (groups, Admin* users, MFA preferences, the audit
 * log): their signature once the caller is authenticated (`admin-auth.ts`), the user a request's
 * `Username` names, and Cognito's UserType.
 */
import type { UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import type { LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { attributeList, findUser, requiredString, type Body } from "./user-pool-input.js";

/** A developer operation: the pool was named by `UserPoolId` and the caller authenticated. */
export type DeveloperOperation = (deps: UserPoolDeps, body: Body, pool: LoadedUserPool) => Promise<unknown>;

/**
 * The user `Username` names (or, where email is a sign-in alias, whose verified email it is).
 * @throws UserPoolError UserNotFoundException
 */
export async function existingUser(deps: UserPoolDeps, pool: LoadedUserPool, body: Body): Promise<UserPoolUserWithAttributes> {
  const user = await findUser(deps, pool, requiredString(body, "Username", 128));
  if (user === null) throw new UserPoolError("UserNotFoundException", "User does not exist.");
  return user;
}

/** Cognito's UserType: the user as listings and AdminCreateUser answer it. Dates are epoch seconds. */
export function userType(pool: LoadedUserPool, user: UserPoolUserWithAttributes) {
  return {
    Username: user.username,
    Attributes: attributeList(pool, user),
    UserCreateDate: user.createdAt / 1000,
    UserLastModifiedDate: user.updatedAt / 1000,
    Enabled: user.enabled,
    UserStatus: user.status,
  };
}
