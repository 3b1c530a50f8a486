/**
 * InitiateAuth and RespondToAuthChallenge: the sign-in flows of this slice. USER_SRP_AUTH (what
 * Amplify's `signIn` uses by default) and its PASSWORD_VERIFIER answer are in `srp-sign-in.ts`;
 * USER_PASSWORD_AUTH checks the argon2id hash (and rehashes one made with older parameters);
 * REFRESH_TOKEN_AUTH is `refresh-tokens.ts`; NEW_PASSWORD_REQUIRED sets the password of a user an
 * administrator created; SOFTWARE_TOKEN_MFA and MFA_SETUP are `mfa-sign-in.ts`, EMAIL_OTP, SMS_MFA
 * and SELECT_MFA_TYPE `mfa-code-sign-in.ts`; USER_AUTH and its SELECT_CHALLENGE are `user-auth.ts`,
 * its WEB_AUTHN challenge `webauthn-sign-in.ts`. A wrong password
 * and an unknown user answer alike; wrong passwords of a user count towards its lockout.
 */
import type { LoadedClient, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError, usedSession, wrongCredentials } from "./user-pool-errors.js";
import { answerOnce } from "./answered-sessions.js";
import { makeCredentials } from "./credentials.js";
import { checkPasswordHistory, rememberReplacedPassword } from "./password-history.js";
import { checkPasswordPolicy, hashPassword, needsRehash, verifyPassword } from "./passwords.js";
import { authClientOf, refreshSession } from "./refresh-tokens.js";
import { openSession } from "./sealed-session.js";
import { completeSignIn, NEW_PASSWORD_SESSION, type SignInAnswer } from "./sign-in-session.js";
import { answerSrp, startSrp } from "./srp-sign-in.js";
import { checkLockout, countFailedSignIn } from "./lockout.js";
import { answerMfaSetup, answerSoftwareTokenMfa } from "./mfa-sign-in.js";
import { preAuthentication } from "./triggers/auth-triggers.js";
import { answerCustomChallenge, startCustomAuth } from "./triggers/custom-auth.js";
import { migrateSigningInUser } from "./triggers/user-migration.js";
import { answerCodeMfa, answerSelectMfaType } from "./mfa-code-sign-in.js";
import { findUser, readAttributes, requiredString, type Body } from "./user-pool-input.js";
import { answerSelectChallenge, startUserAuth } from "./user-auth.js";
import { answerWebAuthn } from "./webauthn-sign-in.js";

/** A hash of no one's password, checked when the user does not exist so both answers take as long. */
let decoyHash: Promise<string> | undefined;

/** `body[field]` as a map (empty when absent). @throws InvalidParameterException */
export const parametersOf = (body: Body, field: string): Record<string, unknown> => {
  const value = body[field];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new UserPoolError("InvalidParameterException", `${field} must be a map of strings.`);
  return value as Record<string, unknown>;
};

/** A required non-empty string of a parameter map. @throws InvalidParameterException */
export const parameter = (parameters: Record<string, unknown>, name: string): string => {
  const value = parameters[name];
  if (typeof value !== "string" || value.length === 0) throw new UserPoolError("InvalidParameterException", `Missing required parameter ${name}`);
  return value;
};

/** InitiateAuth. */
export async function initiateAuth(deps: UserPoolDeps, body: Body): Promise<SignInAnswer> {
  const flow = requiredString(body, "AuthFlow", 64);
  const parameters = parametersOf(body, "AuthParameters");
  const username = typeof parameters["USERNAME"] === "string" ? parameters["USERNAME"] : null;
  const loaded = authClientOf(deps, body, parameters, username);
  switch (flow) {
    case "USER_SRP_AUTH":
      return startSrp(deps, loaded, parameter(parameters, "USERNAME"), parameter(parameters, "SRP_A"));
    case "USER_PASSWORD_AUTH":
      return passwordSignIn(deps, loaded, parameter(parameters, "USERNAME"), parameter(parameters, "PASSWORD"), body);
    case "REFRESH_TOKEN_AUTH":
    case "REFRESH_TOKEN":
      return { AuthenticationResult: await refreshSession(deps, loaded, parameter(parameters, "REFRESH_TOKEN")), ChallengeParameters: {} };
    case "CUSTOM_AUTH":
      return startCustomAuth(deps, loaded, parameter(parameters, "USERNAME"), body);
    case "USER_AUTH":
      return startUserAuth(deps, loaded, parameters, body);
    case "ADMIN_NO_SRP_AUTH":
    case "ADMIN_USER_PASSWORD_AUTH":
      // The developer's flows, through AdminInitiateAuth (`admin-initiate-auth.ts`).
      throw new UserPoolError("InvalidParameterException", `Initiate Auth method not supported: ${flow} needs AdminInitiateAuth.`);
    default:
      throw new UserPoolError("InvalidParameterException", `1 validation error detected: Value '${flow.slice(0, 64)}' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set`);
  }
}

/** USER_PASSWORD_AUTH, and USER_AUTH's PASSWORD factor (`user-auth.ts`); an unknown user may be migrated by the pool's trigger. */
export async function passwordSignIn(deps: UserPoolDeps, loaded: LoadedClient, name: string, password: string, body: Body = {}): Promise<SignInAnswer> {
  const user = (await findUser(deps, loaded.pool, name)) ?? (await migrateSigningInUser(deps, loaded, name, password, body));
  if (user === null) {
    await verifyPassword(await (decoyHash ??= hashPassword("decoy password of no user")), password);
    throw wrongCredentials();
  }
  const failures = await checkLockout(deps, user);
  await preAuthentication(deps, loaded, user, body["ClientMetadata"]);
  if (!(await verifyPassword(user.passwordHash, password))) {
    await countFailedSignIn(deps, user);
    throw wrongCredentials();
  }
  if (user.srpVerifier === "") {
    // An imported hash (`foreign-hashes.ts`): the password is now known, so argon2id and an SRP verifier replace it.
    await deps.store.updateUser(user.poolId, user.sub, { ...(await makeCredentials(deps, loaded.pool, user.username, user.sub, password, "signIn")), updatedAt: deps.now() });
  } else if (await needsRehash(user.passwordHash)) {
    await deps.store.updateUser(user.poolId, user.sub, { passwordHash: await hashPassword(password), updatedAt: deps.now() });
  }
  return completeSignIn(deps, loaded, user, failures);
}

/** RespondToAuthChallenge. */
export async function respondToAuthChallenge(deps: UserPoolDeps, body: Body): Promise<SignInAnswer> {
  const challenge = requiredString(body, "ChallengeName", 64);
  const responses = parametersOf(body, "ChallengeResponses");
  const username = typeof responses["USERNAME"] === "string" ? responses["USERNAME"] : null;
  const loaded = authClientOf(deps, body, responses, username);
  switch (challenge) {
    case "PASSWORD_VERIFIER":
      return answerSrp(deps, loaded, responses);
    case "NEW_PASSWORD_REQUIRED":
      return answerNewPassword(deps, loaded, body, responses);
    case "SOFTWARE_TOKEN_MFA":
      return answerSoftwareTokenMfa(deps, loaded, body, responses);
    case "MFA_SETUP":
      return answerMfaSetup(deps, loaded, body, responses);
    case "SELECT_CHALLENGE":
      return answerSelectChallenge(deps, loaded, body, responses);
    case "WEB_AUTHN":
      return answerWebAuthn(deps, loaded, body, responses);
    case "CUSTOM_CHALLENGE":
      return answerCustomChallenge(deps, loaded, body, responses);
    case "EMAIL_OTP":
    case "SMS_MFA":
      return answerCodeMfa(deps, loaded, body, responses, challenge);
    case "SELECT_MFA_TYPE":
      return answerSelectMfaType(deps, loaded, body, responses);
    default:
      throw new UserPoolError("InvalidParameterException", `${challenge.slice(0, 64)} is not a challenge this user pool sends.`);
  }
}

async function answerNewPassword(deps: UserPoolDeps, loaded: LoadedClient, body: Body, responses: Record<string, unknown>): Promise<SignInAnswer> {
  const sealed = requiredString(body, "Session", 2048);
  const session = openSession<{ p: string; c: string; s: string }>(deps.sessionKey, NEW_PASSWORD_SESSION, sealed, deps.now());
  if (session === null || session.c !== loaded.client.id) throw new UserPoolError("NotAuthorizedException", "Invalid session for the user, session is expired.");
  const password = parameter(responses, "NEW_PASSWORD");
  checkPasswordPolicy(loaded.pool.settings.passwordPolicy, password);
  const user = await deps.store.getUserBySub(session.p, session.s);
  if (user === null) throw new UserPoolError("NotAuthorizedException", "Invalid session for the user, session is expired.");
  const attributes = readAttributes(
    Object.entries(responses)
      .filter(([name]) => name.startsWith("userAttributes."))
      .map(([name, value]) => ({ Name: name.slice("userAttributes.".length), Value: value })),
    { pool: loaded.pool, creating: false },
    "userAttributes",
  );
  if (user.status === "FORCE_CHANGE_PASSWORD") await checkPasswordHistory(deps, loaded.pool, user, password);
  // Refused input leaves the Session usable for a corrected answer; an accepted one spends it, here
  // and on every instance, so a replay (or a copy sent at once) sets no password and signs no one in.
  if (!(await answerOnce(deps, session.p, sealed, session.exp))) throw usedSession();
  if (user.status !== "FORCE_CHANGE_PASSWORD") throw new UserPoolError("NotAuthorizedException", "Invalid session for the user, session is expired.");
  const now = deps.now();
  await deps.store.updateUser(user.poolId, user.sub, { status: "CONFIRMED", ...(await makeCredentials(deps, loaded.pool, user.username, user.sub, password)), updatedAt: now });
  await rememberReplacedPassword(deps, loaded.pool, user);
  if (Object.keys(attributes).length > 0) await deps.store.setAttributes(user.poolId, user.sub, attributes, now);
  return completeSignIn(deps, loaded, (await deps.store.getUserBySub(user.poolId, user.sub))!, null, { tokenSource: "TokenGeneration_NewPasswordChallenge" });
}
