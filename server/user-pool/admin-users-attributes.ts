/**
 * AdminUpdateUserAttributes and AdminDeleteUserAttributes. An administrator may also set
 * `email_verified`: a new email the call marks verified is verified at once (and, where email is a
 * sign-in alias, must not be another user's verified email unless the call forces the move, as
 * Cognito's ForceAliasCreation); a new email it does not mark is unverified and, where the pool
 * verifies emails, a code is mailed as UpdateUserAttributes mails one.
 */
import type { DeveloperOperation } from "./developer-operation.js";
import { existingUser } from "./developer-operation.js";
import { sendCode } from "./user-codes.js";
import type { LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { checkAttributeName, readAttributes } from "./user-pool-input.js";

/**
 * Lets the user `sub` hold `email` verified: where email is a sign-in alias, another user who
 * verified it keeps it (AliasExistsException) unless `force`, which unverifies theirs.
 */
export async function claimVerifiedEmail(deps: UserPoolDeps, pool: LoadedUserPool, sub: string, email: string, force: boolean): Promise<void> {
  if (!pool.settings.signInAliases.includes("email")) return;
  for (const username of await deps.store.findUsernamesByAttribute(pool.settings.id, "email", email)) {
    const holder = await deps.store.getUser(pool.settings.id, username);
    if (holder === null || holder.sub === sub || holder.attributes["email_verified"] !== "true") continue;
    if (!force) throw new UserPoolError("AliasExistsException", "An account with the email already exists.");
    await deps.store.setAttributes(pool.settings.id, holder.sub, { email_verified: "false" }, deps.now());
  }
}

/** AdminUpdateUserAttributes. */
export const adminUpdateUserAttributes: DeveloperOperation = async (deps, body, pool) => {
  const user = await existingUser(deps, pool, body);
  const attributes = readAttributes(body["UserAttributes"], { pool, creating: false }, "UserAttributes", true);
  if (body["UserAttributes"] === undefined) {
    throw new UserPoolError("InvalidParameterException", "1 validation error detected: Value at 'userAttributes' failed to satisfy constraint: Member must not be null");
  }
  const email = attributes["email"] ?? user.attributes["email"];
  const newEmail = attributes["email"] !== undefined && attributes["email"] !== user.attributes["email"];
  if (newEmail) attributes["email_verified"] ??= "false";
  if (attributes["email_verified"] === "true") {
    if (email === undefined) throw new UserPoolError("InvalidParameterException", "email_verified cannot be set on a user without an email.");
    await claimVerifiedEmail(deps, pool, user.sub, email, body["ForceAliasCreation"] === true);
  }
  await deps.store.setAttributes(pool.settings.id, user.sub, attributes, deps.now());
  if (newEmail && attributes["email_verified"] === "false" && pool.settings.autoVerifiedAttributes.includes("email")) {
    await sendCode(deps, pool, { ...user, attributes: { ...user.attributes, ...attributes } }, "VERIFY:email", attributes["email"]);
  }
  return {};
};

/** AdminDeleteUserAttributes: removing `email` removes `email_verified` with it. */
export const adminDeleteUserAttributes: DeveloperOperation = async (deps, body, pool) => {
  const user = await existingUser(deps, pool, body);
  const names = body["UserAttributeNames"];
  if (!Array.isArray(names) || names.some((name) => typeof name !== "string" || name.length === 0 || name.length > 32)) {
    throw new UserPoolError("InvalidParameterException", "1 validation error detected: Value at 'userAttributeNames' failed to satisfy constraint: Member must not be null");
  }
  for (const name of names as string[]) checkAttributeName(name, true);
  const removed: Record<string, null> = Object.fromEntries((names as string[]).map((name) => [name, null]));
  if ("email" in removed) removed["email_verified"] = null;
  await deps.store.setAttributes(pool.settings.id, user.sub, removed, deps.now());
  return {};
};

/** The attribute operations by X-Amz-Target name. */
export const ADMIN_USER_ATTRIBUTE_OPERATIONS: Record<string, DeveloperOperation> = {
  AdminUpdateUserAttributes: adminUpdateUserAttributes,
  AdminDeleteUserAttributes: adminDeleteUserAttributes,
};
