/**
 * SignUp, ConfirmSignUp and ResendConfirmationCode. A new user is UNCONFIRMED until the mailed code
 * confirms it (and verifies its email), or the texted one in a pool that verifies phone numbers and
 * not emails (and verifies its phone number); with PreventUserExistenceErrors, confirming or resending
 * for a user who does not exist answers as if they did.
 */
import { randomUUID } from "node:crypto";
import type { UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { makeCredentials } from "./credentials.js";
import { checkPasswordPolicy } from "./passwords.js";
import { sendSmsCode } from "./sms-codes.js";
import { consumeCode, sendCode, simulatedDelivery } from "./user-codes.js";
import { postConfirmation, preSignUp } from "./triggers/sign-up-triggers.js";
import { clientOf, findUser, looksLikeEmail, readAttributes, requiredString, type Body } from "./user-pool-input.js";
import { signUpSignInSession } from "./user-auth.js";

/** SignUp: stores an UNCONFIRMED user and mails the confirmation code. */
export async function signUp(deps: UserPoolDeps, body: Body) {
  const username = requiredString(body, "Username", 128);
  const loaded = clientOf(deps, body, username);
  const { pool } = loaded;
  const password = requiredString(body, "Password", 256);
  if (!/^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u.test(username)) throw new UserPoolError("InvalidParameterException", "Username should match the pattern [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+");
  if (pool.settings.signInAliases.includes("email") && looksLikeEmail(username)) {
    throw new UserPoolError("InvalidParameterException", "Username cannot be of email format, since user pool is configured for email alias.");
  }
  checkPasswordPolicy(pool.settings.passwordPolicy, password);
  const attributes = readAttributes(body["UserAttributes"], { pool, creating: true });
  const verifiesEmail = pool.settings.autoVerifiedAttributes.includes("email");
  const verifiesPhone = !verifiesEmail && pool.settings.autoVerifiedAttributes.includes("phone_number");
  if (verifiesEmail && attributes["email"] === undefined) throw new UserPoolError("InvalidParameterException", "Attributes did not conform to the schema: email: The attribute is required");
  if (verifiesPhone && attributes["phone_number"] === undefined) throw new UserPoolError("InvalidParameterException", "Attributes did not conform to the schema: phone_number: The attribute is required");
  // Before anything is stored: a refusing trigger leaves no user behind.
  const decision = await preSignUp(deps, pool, loaded.client.id, username, attributes, body);
  if (attributes["email"] !== undefined) attributes["email_verified"] = String(decision.autoVerifyEmail);
  if (attributes["phone_number"] !== undefined) attributes["phone_number_verified"] = "false";
  const sub = randomUUID();
  const now = deps.now();
  const credentials = await makeCredentials(deps, pool, username, sub, password);
  const status = decision.autoConfirmUser ? "CONFIRMED" : "UNCONFIRMED";
  const created = await deps.store.createUser({ poolId: pool.settings.id, username, sub, status, enabled: true, ...credentials, createdAt: now, updatedAt: now }, attributes);
  if (!created) throw new UserPoolError("UsernameExistsException", "User already exists");
  const user = (await deps.store.getUserBySub(pool.settings.id, sub))!;
  let delivery;
  try {
    if (decision.autoConfirmUser) delivery = undefined;
    else if (verifiesEmail) delivery = await sendCode(deps, pool, user, "SIGN_UP", undefined, { clientId: loaded.client.id, clientMetadata: body["ClientMetadata"] });
    else if (verifiesPhone) delivery = await sendSmsCode(deps, pool, user, "SIGN_UP");
  } catch (error) {
    // A custom message trigger that failed: the sign-up did not happen, so its user goes.
    await deps.store.deleteUser(pool.settings.id, sub);
    throw error;
  }
  return { UserConfirmed: decision.autoConfirmUser, UserSub: sub, ...(delivery ? { CodeDeliveryDetails: delivery } : {}) };
}

/** ConfirmSignUp: the code confirms the user and verifies the email it was mailed to. */
export async function confirmSignUp(deps: UserPoolDeps, body: Body) {
  const name = requiredString(body, "Username", 128);
  const loaded = clientOf(deps, body, name);
  const { pool } = loaded;
  const code = requiredString(body, "ConfirmationCode", 2048);
  const user = await findUser(deps, pool, name);
  if (user === null) throw new UserPoolError("CodeMismatchException", "Invalid verification code provided, please try again.");
  if (user.status !== "UNCONFIRMED") throw new UserPoolError("NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED");
  await consumeCode(deps, pool, user, "SIGN_UP", code);
  const now = deps.now();
  const byPhone = signUpByPhone(pool.settings.autoVerifiedAttributes, user.attributes);
  const email = byPhone ? undefined : user.attributes["email"];
  if (email !== undefined && body["ForceAliasCreation"] !== true) {
    // Email is a sign-in alias: another user who verified this address keeps it, unless the client forces the move.
    const holders = await deps.store.findUsernamesByAttribute(pool.settings.id, "email", email);
    for (const username of holders.filter((holder) => holder !== user.username)) {
      const holder = await deps.store.getUser(pool.settings.id, username);
      if (holder?.attributes["email_verified"] === "true") throw new UserPoolError("AliasExistsException", "An account with the email already exists.");
    }
  }
  await deps.store.updateUser(pool.settings.id, user.sub, { status: "CONFIRMED", updatedAt: now });
  if (email !== undefined) await deps.store.setAttributes(pool.settings.id, user.sub, { email_verified: "true" }, now);
  if (byPhone) await deps.store.setAttributes(pool.settings.id, user.sub, { phone_number_verified: "true" }, now);
  await postConfirmation(deps, pool, loaded.client.id, (await deps.store.getUserBySub(pool.settings.id, user.sub))!, "PostConfirmation_ConfirmSignUp", body["ClientMetadata"]);
  // The Session lets a USER_AUTH sign-in follow without asking again (Amplify's autoSignIn).
  return { Session: await signUpSignInSession(deps, loaded, user) };
}

/** ResendConfirmationCode: a new code for an unconfirmed user. */
export async function resendConfirmationCode(deps: UserPoolDeps, body: Body) {
  const name = requiredString(body, "Username", 128);
  const loaded = clientOf(deps, body, name);
  const user = await findUser(deps, loaded.pool, name);
  if (user === null) return { CodeDeliveryDetails: simulatedDelivery(name) };
  if (user.status !== "UNCONFIRMED") throw new UserPoolError("InvalidParameterException", "User is already confirmed.");
  const byPhone = signUpByPhone(loaded.pool.settings.autoVerifiedAttributes, user.attributes);
  if (byPhone) return { CodeDeliveryDetails: await sendSmsCode(deps, loaded.pool, user, "SIGN_UP") };
  return { CodeDeliveryDetails: await sendCode(deps, loaded.pool, user, "SIGN_UP", undefined, { clientId: loaded.client.id, triggerSource: "CustomMessage_ResendCode", clientMetadata: body["ClientMetadata"] }) };
}

/** Whether the sign-up code goes by SMS: the pool verifies phone numbers and not emails, and the user has one. */
function signUpByPhone(verified: readonly string[], attributes: Record<string, string>): boolean {
  return !verified.includes("email") && verified.includes("phone_number") && attributes["phone_number"] !== undefined;
}
