/**
 * Cognito's Admin* user operations, for the pool's developer (signed as `admin-auth.ts` checks,
 * like the group ones): AdminCreateUser, AdminGetUser, AdminDeleteUser, AdminDisableUser,
 * AdminEnableUser, AdminConfirmSignUp and AdminUserGlobalSignOut here; passwords in
 * `admin-users-passwords.ts`, attributes in `admin-users-attributes.ts`, ListUsers in
 * `admin-users-list.ts`, AdminInitiateAuth in `admin-initiate-auth.ts`. `ADMIN_USER_OPERATIONS` is the table `user-pool-service.ts` serves.
 *
 * A created user is FORCE_CHANGE_PASSWORD: its first sign-in (SRP or password) answers
 * NEW_PASSWORD_REQUIRED. This pool delivers only by email, so `DesiredDeliveryMediums` defaults to
 * EMAIL (Cognito's default is SMS) and a call asking only for SMS is refused.
 */
import { randomInt, randomUUID } from "node:crypto";
import type { UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import { makeCredentials } from "./credentials.js";
import { userMfaOf } from "./mfa-factors.js";
import { existingUser, userType, type DeveloperOperation } from "./developer-operation.js";
import { checkPasswordPolicy } from "./passwords.js";
import type { LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { looksLikeEmail, readAttributes, requiredString, type Body } from "./user-pool-input.js";
import { ADMIN_USER_ATTRIBUTE_OPERATIONS, claimVerifiedEmail } from "./admin-users-attributes.js";
import { listUsers } from "./admin-users-list.js";
import { ADMIN_USER_PASSWORD_OPERATIONS } from "./admin-users-passwords.js";
import { ADMIN_AUTH_OPERATIONS } from "./admin-initiate-auth.js";
import { describeUserPool, describeUserPoolClient } from "./describe-user-pool.js";
import { customMessage } from "./triggers/custom-message.js";
import { NO_CLIENT_ID, postConfirmation, preSignUp } from "./triggers/sign-up-triggers.js";

/** The invitation mail, with Cognito's default wording. */
const INVITATION = { subject: "Your temporary password", text: "Your username is {username} and temporary password is {####}." };

const invalid = (message: string) => new UserPoolError("InvalidParameterException", message);

/** A password that meets `pool`'s policy: 16 characters with each kind the policy may ask for. */
export function temporaryPassword(pool: Pick<LoadedUserPool, "settings">): string {
  const kinds = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "^$*.[]{}()?!@#%&/,><:;|_~=+-"];
  const length = Math.max(16, pool.settings.passwordPolicy.minimumLength);
  const characters = kinds.map((kind) => kind[randomInt(kind.length)]!);
  const all = kinds.join("");
  while (characters.length < length) characters.push(all[randomInt(all.length)]!);
  for (let i = characters.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [characters[i], characters[j]] = [characters[j]!, characters[i]!];
  }
  return characters.join("");
}

/** Whether the invitation goes out by email; refuses SMS alone and unknown mediums. */
function deliversByEmail(body: Body): boolean {
  const mediums = body["DesiredDeliveryMediums"] ?? ["EMAIL"];
  if (!Array.isArray(mediums) || mediums.some((medium) => medium !== "EMAIL" && medium !== "SMS")) {
    throw invalid("1 validation error detected: Value at 'desiredDeliveryMediums' failed to satisfy constraint: Member must satisfy enum value set: [SMS, EMAIL]");
  }
  if (mediums.length > 0 && !mediums.includes("EMAIL")) throw invalid("This user pool delivers messages by EMAIL only; SMS is not configured.");
  return mediums.includes("EMAIL");
}

async function sendInvitation(deps: UserPoolDeps, pool: LoadedUserPool, user: UserPoolUserWithAttributes, password: string, body: Body): Promise<void> {
  const email = user.attributes["email"];
  if (email === undefined) throw invalid("Cannot send the invitation: the user has no email attribute (use MessageAction SUPPRESS).");
  const message = { clientId: NO_CLIENT_ID, usernameParameter: true, clientMetadata: body["ClientMetadata"] };
  const { subject, text } = await customMessage(deps, pool, user, "CustomMessage_AdminCreateUser", message, INVITATION);
  await deps.mailer.send({ poolId: pool.settings.id, username: user.username, to: email, purpose: "INVITATION", subject, text: text.replaceAll("{username}", user.username).replaceAll("{####}", password), code: password });
}

/** AdminCreateUser, or with MessageAction RESEND a new temporary password and invitation for a user who has not signed in yet. */
export const adminCreateUser: DeveloperOperation = async (deps, body, pool) => {
  const username = requiredString(body, "Username", 128);
  const action = body["MessageAction"] ?? null;
  if (action !== null && action !== "RESEND" && action !== "SUPPRESS") {
    throw invalid("1 validation error detected: Value at 'messageAction' failed to satisfy constraint: Member must satisfy enum value set: [SUPPRESS, RESEND]");
  }
  const byEmail = deliversByEmail(body);
  const given = body["TemporaryPassword"];
  if (given !== undefined && given !== null && typeof given !== "string") throw invalid("TemporaryPassword must be a string.");
  const password = typeof given === "string" && given.length > 0 ? given : temporaryPassword(pool);
  checkPasswordPolicy(pool.settings.passwordPolicy, password);
  const now = deps.now();
  if (action === "RESEND") {
    const user = await existingUser(deps, pool, body);
    if (user.status !== "FORCE_CHANGE_PASSWORD") throw new UserPoolError("UnsupportedUserStateException", `Resend not possible. ${user.username} status is not FORCE_CHANGE_PASSWORD.`);
    await deps.store.updateUser(pool.settings.id, user.sub, { ...(await makeCredentials(deps, pool, user.username, user.sub, password)), updatedAt: now });
    if (byEmail) await sendInvitation(deps, pool, user, password, body);
    return { User: userType(pool, (await deps.store.getUserBySub(pool.settings.id, user.sub))!) };
  }
  if (!/^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u.test(username)) throw invalid("Username should match the pattern [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+");
  if (pool.settings.signInAliases.includes("email") && looksLikeEmail(username)) {
    throw invalid("Username cannot be of email format, since user pool is configured for email alias.");
  }
  const attributes = readAttributes(body["UserAttributes"], { pool, creating: true }, "UserAttributes", true);
  if (attributes["email"] !== undefined) attributes["email_verified"] ??= "false";
  else delete attributes["email_verified"];
  await preSignUp(deps, pool, NO_CLIENT_ID, username, attributes, body, "PreSignUp_AdminCreateUser");
  const sub = randomUUID();
  if (attributes["email_verified"] === "true") await claimVerifiedEmail(deps, pool, sub, attributes["email"]!, body["ForceAliasCreation"] === true);
  const credentials = await makeCredentials(deps, pool, username, sub, password);
  const created = await deps.store.createUser({ poolId: pool.settings.id, username, sub, status: "FORCE_CHANGE_PASSWORD", enabled: true, ...credentials, createdAt: now, updatedAt: now }, attributes);
  if (!created) throw new UserPoolError("UsernameExistsException", "User account already exists");
  const user = (await deps.store.getUserBySub(pool.settings.id, sub))!;
  try {
    if (action !== "SUPPRESS" && byEmail) await sendInvitation(deps, pool, user, password, body);
  } catch (error) {
    // A custom message trigger that failed: the user was not created, as far as the caller knows.
    await deps.store.deleteUser(pool.settings.id, sub);
    throw error;
  }
  return { User: userType(pool, user) };
};

/** AdminGetUser, with the user's MFA as GetUser answers it. */
export const adminGetUser: DeveloperOperation = async (deps, body, pool) => {
  const user = await existingUser(deps, pool, body);
  const { enabled, preferred } = await userMfaOf(deps, user);
  // Cognito's UserType, except that AdminGetUser names the attributes UserAttributes.
  const { Attributes: attributes, ...fields } = userType(pool, user);
  return {
    ...fields,
    UserAttributes: attributes,
    UserMFASettingList: enabled,
    ...(preferred !== null ? { PreferredMfaSetting: preferred } : {}),
  };
};

/** AdminDeleteUser: the user and everything of it (attributes, sessions, memberships). */
export const adminDeleteUser: DeveloperOperation = async (deps, body, pool) => {
  const user = await existingUser(deps, pool, body);
  await deps.store.deleteUser(pool.settings.id, user.sub);
  return {};
};

/** AdminDisableUser: sign-in is refused ("User is disabled.") and every session ends now. */
export const adminDisableUser: DeveloperOperation = async (deps, body, pool) => {
  const user = await existingUser(deps, pool, body);
  const now = deps.now();
  await deps.store.updateUser(pool.settings.id, user.sub, { enabled: false, updatedAt: now });
  await deps.store.revokeUserSessions(pool.settings.id, user.sub, now);
  return {};
};

/** AdminEnableUser. */
export const adminEnableUser: DeveloperOperation = async (deps, body, pool) => {
  const user = await existingUser(deps, pool, body);
  await deps.store.updateUser(pool.settings.id, user.sub, { enabled: true, updatedAt: deps.now() });
  return {};
};

/** AdminConfirmSignUp: an UNCONFIRMED user becomes CONFIRMED without a code (its email stays unverified, as in Cognito). */
export const adminConfirmSignUp: DeveloperOperation = async (deps, body, pool) => {
  const user = await existingUser(deps, pool, body);
  if (user.status !== "UNCONFIRMED") throw new UserPoolError("NotAuthorizedException", `User cannot be confirmed. Current status is ${user.status}`);
  await deps.store.updateUser(pool.settings.id, user.sub, { status: "CONFIRMED", updatedAt: deps.now() });
  await postConfirmation(deps, pool, NO_CLIENT_ID, (await deps.store.getUserBySub(pool.settings.id, user.sub))!, "PostConfirmation_ConfirmSignUp", body["ClientMetadata"]);
  return {};
};

/** AdminUserGlobalSignOut: every session of the user ends, its refresh and access tokens with it. */
export const adminUserGlobalSignOut: DeveloperOperation = async (deps, body, pool) => {
  const user = await existingUser(deps, pool, body);
  await deps.store.revokeUserSessions(pool.settings.id, user.sub, deps.now());
  return {};
};

/** The developer's user operations by X-Amz-Target name (the group ones are `GROUP_OPERATIONS`). */
export const ADMIN_USER_OPERATIONS: Record<string, DeveloperOperation> = {
  AdminCreateUser: adminCreateUser,
  AdminGetUser: adminGetUser,
  AdminDeleteUser: adminDeleteUser,
  AdminDisableUser: adminDisableUser,
  AdminEnableUser: adminEnableUser,
  AdminConfirmSignUp: adminConfirmSignUp,
  AdminUserGlobalSignOut: adminUserGlobalSignOut,
  ...ADMIN_USER_PASSWORD_OPERATIONS,
  ...ADMIN_USER_ATTRIBUTE_OPERATIONS,
  ...ADMIN_AUTH_OPERATIONS,
  ListUsers: listUsers,
  DescribeUserPool: describeUserPool,
  DescribeUserPoolClient: describeUserPoolClient,
};
