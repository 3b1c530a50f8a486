/**
 * What a signed-in user does with their access token: GetUser, UpdateUserAttributes,
 * ChangePassword, GlobalSignOut and DeleteUser. Every call checks the token first
 * (`verifyAccessToken`: signature, expiry, and that its session was not revoked).
 */
import type { UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError, wrongCredentials } from "./user-pool-errors.js";
import { makeCredentials } from "./credentials.js";
import { checkPasswordHistory, rememberReplacedPassword } from "./password-history.js";
import { checkPasswordPolicy, verifyPassword } from "./passwords.js";
import { userMfaOf } from "./mfa-factors.js";
import { sendSmsCode } from "./sms-codes.js";
import { sendCode, type CodeDeliveryDetails } from "./user-codes.js";
import { attributeList, readAttributes, requiredString, type Body } from "./user-pool-input.js";
import { verifyAccessToken } from "./user-pool-tokens.js";

/** GetUser, with the user's MFA: `UserMFASettingList` and `PreferredMfaSetting` as Amplify's fetchMFAPreference reads them. */
export async function getUser(deps: UserPoolDeps, body: Body) {
  const { pool, user } = await verifyAccessToken(deps, body["AccessToken"]);
  const { enabled, preferred } = await userMfaOf(deps, user);
  return { Username: user.username, UserAttributes: attributeList(pool, user), UserMFASettingList: enabled, ...(preferred !== null ? { PreferredMfaSetting: preferred } : {}) };
}

/** UpdateUserAttributes: a changed email or phone number is unverified until its code is confirmed. */
export async function updateUserAttributes(deps: UserPoolDeps, body: Body) {
  const { pool, user, session } = await verifyAccessToken(deps, body["AccessToken"]);
  const attributes: Record<string, string> = readAttributes(body["UserAttributes"], { pool, creating: false });
  const newEmail = attributes["email"] !== undefined && attributes["email"] !== user.attributes["email"] ? attributes["email"] : undefined;
  const newPhone = attributes["phone_number"] !== undefined && attributes["phone_number"] !== user.attributes["phone_number"];
  if (newEmail !== undefined) attributes["email_verified"] = "false";
  if (newPhone) attributes["phone_number_verified"] = "false";
  await deps.store.setAttributes(pool.settings.id, user.sub, attributes, deps.now());
  const deliveries: CodeDeliveryDetails[] = [];
  const changed = { ...user, attributes: { ...user.attributes, ...attributes } };
  if (newEmail !== undefined && pool.settings.autoVerifiedAttributes.includes("email")) {
    deliveries.push(await sendCode(deps, pool, changed, "VERIFY:email", newEmail, { clientId: session.clientId, clientMetadata: body["ClientMetadata"] }));
  }
  if (newPhone && pool.settings.autoVerifiedAttributes.includes("phone_number") && deps.sms.canSend(pool)) {
    deliveries.push(await sendSmsCode(deps, pool, changed, "VERIFY:phone_number"));
  }
  return { CodeDeliveryDetailsList: deliveries };
}

/** ChangePassword: the previous password must match, and the new one not be in the pool's password history. */
export async function changePassword(deps: UserPoolDeps, body: Body) {
  const { pool, user } = await verifyAccessToken(deps, body["AccessToken"]);
  const proposed = requiredString(body, "ProposedPassword", 256);
  const previous = typeof body["PreviousPassword"] === "string" ? body["PreviousPassword"] : "";
  checkPasswordPolicy(pool.settings.passwordPolicy, proposed);
  if (!(await verifyPassword(user.passwordHash, previous))) throw wrongCredentials();
  await checkPasswordHistory(deps, pool, user, proposed);
  await deps.store.updateUser(pool.settings.id, user.sub, { ...(await makeCredentials(deps, pool, user.username, user.sub, proposed)), updatedAt: deps.now() });
  await rememberReplacedPassword(deps, pool, user);
  return {};
}

/** GlobalSignOut: every session of the user ends, its refresh tokens and access tokens with it. */
export async function globalSignOut(deps: UserPoolDeps, body: Body) {
  const { pool, user } = await verifyAccessToken(deps, body["AccessToken"]);
  await deps.store.revokeUserSessions(pool.settings.id, user.sub, deps.now());
  return {};
}

/** DeleteUser: the user and everything of it. */
export async function deleteUser(deps: UserPoolDeps, body: Body) {
  const { pool, user } = await verifyAccessToken(deps, body["AccessToken"]);
  if (!(await deps.store.deleteUser(pool.settings.id, user.sub))) throw new UserPoolError("UserNotFoundException", "User does not exist.");
  return {};
}
