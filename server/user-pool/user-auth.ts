/**
 * USER_AUTH, Cognito's choice-based sign-in: InitiateAuth names the user and may name a
 * PREFERRED_CHALLENGE. A preferred factor the pool offers is started at once (PASSWORD with its
 * PASSWORD, PASSWORD_SRP with its SRP_A, WEB_AUTHN); otherwise the answer is SELECT_CHALLENGE with
 * AvailableChallenges, and RespondToAuthChallenge SELECT_CHALLENGE names one as ANSWER with that
 * factor's fields. The factors reuse the password (`initiate-auth.ts`), SRP (`srp-sign-in.ts`),
 * passkey (`webauthn-sign-in.ts`) and email code (`email-otp-sign-in.ts`) paths, so MFA follows a
 * password as it does today, and not a passkey or an emailed code.
 *
 * The offered factors depend on the pool only (`signInPolicy.allowedFirstAuthFactors`), never on
 * the user: whether a user exists or holds a passkey is not told by what the sign-in offers.
 * GetUserAuthFactors tells the signed-in user what they have set up.
 *
 * ConfirmSignUp answers a `Session` (`signUpSignInSession`) that USER_AUTH accepts once, within
 * three minutes, instead of a factor: Amplify's `autoSignIn` after `confirmSignUp` sends it.
 *
 * Every Session here takes one answer (`answered-sessions.ts`), and presented again is refused with
 * Cognito's "session can only be used once", on every instance sharing the database: ConfirmSignUp's
 * is recorded in the transaction that deletes its row; SELECT_CHALLENGE's, which has no row, once the
 * ANSWER names an offered factor with that factor's fields, before the factor starts, so a replay
 * mails no second code and a wrong PASSWORD spends it as a wrong SRP answer does.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { UserPoolUser } from "../storage/user-pool-store.js";
import { getUser } from "./account.js";
import type { LoadedClient, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError, usedSession } from "./user-pool-errors.js";
import { answerOnce, endAnsweredSession, staleSessionError } from "./answered-sessions.js";
import { passwordSignIn } from "./initiate-auth.js";
import { openSession, sealSession } from "./sealed-session.js";
import { CHALLENGE_SESSION_MS, completeSignIn, type SignInAnswer } from "./sign-in-session.js";
import { startSrp } from "./srp-sign-in.js";
import { findUser, requiredString, type Body } from "./user-pool-input.js";
import { verifyAccessToken } from "./user-pool-tokens.js";
import { startWebAuthnSignIn } from "./webauthn-sign-in.js";
import { startEmailOtpSignIn } from "./email-otp-sign-in.js";

/** Every first factor Cognito names; those this pool does not offer lead to SELECT_CHALLENGE. */
const KNOWN_FACTORS = new Set(["PASSWORD", "PASSWORD_SRP", "WEB_AUTHN", "EMAIL_OTP", "SMS_OTP"]);
const SELECT_SESSION = "user-pool:select-challenge";
const SIGN_UP_SESSION = "user-pool:sign-up-sign-in";
const SIGN_UP_PURPOSE = "SIGN_UP_SIGN_IN";

const nonceHash = (deps: UserPoolDeps, nonce: string) => createHmac("sha256", deps.hashKey).update(`sign-up-sign-in:${nonce}`).digest("hex");
const expiredSession = () => new UserPoolError("NotAuthorizedException", "Invalid session for the user, session is expired.");

/** The Session ConfirmSignUp answers: a USER_AUTH sign-in of `user` by `loaded`'s client, once, within three minutes. */
export async function signUpSignInSession(deps: UserPoolDeps, loaded: LoadedClient, user: UserPoolUser): Promise<string> {
  const now = deps.now();
  const nonce = randomBytes(16).toString("hex");
  await deps.store.saveCode({ poolId: user.poolId, sub: user.sub, purpose: SIGN_UP_PURPOSE, codeHash: nonceHash(deps, nonce), attempts: 0, expiresAt: now + CHALLENGE_SESSION_MS, createdAt: now });
  return sealSession(deps.sessionKey, SIGN_UP_SESSION, { p: user.poolId, c: loaded.client.id, s: user.sub, n: nonce }, now + CHALLENGE_SESSION_MS);
}

/** USER_AUTH with the Session of ConfirmSignUp: the user just proved their address, so the sign-in completes. */
async function signInAfterSignUp(deps: UserPoolDeps, loaded: LoadedClient, name: string, sealed: string): Promise<SignInAnswer> {
  const session = openSession<{ p: string; c: string; s: string; n: string }>(deps.sessionKey, SIGN_UP_SESSION, sealed, deps.now());
  if (session === null || session.c !== loaded.client.id || session.p !== loaded.pool.settings.id) throw expiredSession();
  const user = await findUser(deps, loaded.pool, name);
  if (user === null || user.sub !== session.s) throw expiredSession();
  const pending = await deps.store.getCode(session.p, session.s, SIGN_UP_PURPOSE);
  const expected = Buffer.from(nonceHash(deps, session.n), "hex");
  if (pending === null || pending.expiresAt <= deps.now() || !timingSafeEqual(expected, Buffer.from(pending.codeHash, "hex"))) throw await staleSessionError(deps, session.p, sealed);
  await endAnsweredSession(deps, session.p, session.s, SIGN_UP_PURPOSE, sealed, session.exp);
  return completeSignIn(deps, loaded, user);
}

/** The first factors `loaded`'s pool offers, in Cognito's order. */
export function availableChallengesOf(loaded: LoadedClient): string[] {
  const allowed = loaded.pool.settings.signInPolicy.allowedFirstAuthFactors;
  return ["PASSWORD", "PASSWORD_SRP", ...(allowed.includes("WEB_AUTHN") ? ["WEB_AUTHN"] : []), ...(allowed.includes("EMAIL_OTP") ? ["EMAIL_OTP"] : [])];
}

const field = (parameters: Record<string, unknown>, name: string): string => {
  const value = parameters[name];
  if (typeof value !== "string" || value.length === 0) throw new UserPoolError("InvalidParameterException", `Missing required parameter ${name}`);
  return value;
};

/** InitiateAuth USER_AUTH. */
export async function startUserAuth(deps: UserPoolDeps, loaded: LoadedClient, parameters: Record<string, unknown>, body: Body): Promise<SignInAnswer> {
  const name = field(parameters, "USERNAME");
  const preferred = parameters["PREFERRED_CHALLENGE"];
  if (preferred !== undefined && (typeof preferred !== "string" || !KNOWN_FACTORS.has(preferred))) {
    throw new UserPoolError("InvalidParameterException", "PREFERRED_CHALLENGE must be one of PASSWORD, PASSWORD_SRP, WEB_AUTHN, EMAIL_OTP, SMS_OTP.");
  }
  if (typeof body["Session"] === "string" && body["Session"].length > 0) return signInAfterSignUp(deps, loaded, name, requiredString(body, "Session", 2048));
  const available = availableChallengesOf(loaded);
  if (typeof preferred === "string" && available.includes(preferred)) return startFactor(deps, loaded, name, preferred, parameters, body);
  return {
    ChallengeName: "SELECT_CHALLENGE",
    Session: sealSession(deps.sessionKey, SELECT_SESSION, { p: loaded.pool.settings.id, c: loaded.client.id, u: name }, deps.now() + CHALLENGE_SESSION_MS),
    ChallengeParameters: {},
    AvailableChallenges: available,
  };
}

/** RespondToAuthChallenge SELECT_CHALLENGE. */
export async function answerSelectChallenge(deps: UserPoolDeps, loaded: LoadedClient, body: Body, responses: Record<string, unknown>): Promise<SignInAnswer> {
  const sealed = requiredString(body, "Session", 2048);
  const session = openSession<{ p: string; c: string; u: string }>(deps.sessionKey, SELECT_SESSION, sealed, deps.now());
  if (session === null || session.c !== loaded.client.id || session.p !== loaded.pool.settings.id) throw expiredSession();
  const answer = field(responses, "ANSWER");
  if (!availableChallengesOf(loaded).includes(answer)) throw new UserPoolError("InvalidParameterException", `${answer.slice(0, 64)} is not an available challenge.`);
  // A refused answer (no such factor, a missing field) leaves the Session usable; one that starts a factor spends it.
  const needed = FACTOR_FIELD[answer];
  if (needed !== undefined) field(responses, needed);
  if (!(await answerOnce(deps, session.p, sealed, session.exp))) throw usedSession();
  return startFactor(deps, loaded, session.u, answer, responses, body);
}

/** The field an ANSWER of SELECT_CHALLENGE must carry with it, by factor. */
const FACTOR_FIELD: Record<string, string> = { PASSWORD: "PASSWORD", PASSWORD_SRP: "SRP_A" };

/** Starts `factor` for `name`; `body` is the request's, whose ClientMetadata the triggers see. */
async function startFactor(deps: UserPoolDeps, loaded: LoadedClient, name: string, factor: string, parameters: Record<string, unknown>, body: Body): Promise<SignInAnswer> {
  switch (factor) {
    case "PASSWORD":
      return passwordSignIn(deps, loaded, name, field(parameters, "PASSWORD"), body);
    case "PASSWORD_SRP":
      return startSrp(deps, loaded, name, field(parameters, "SRP_A"));
    case "EMAIL_OTP":
      return startEmailOtpSignIn(deps, loaded, await findUser(deps, loaded.pool, name), name, body["ClientMetadata"]);
    default:
      return startWebAuthnSignIn(deps, loaded, await findUser(deps, loaded.pool, name), name, body["ClientMetadata"]);
  }
}

/** The AuthFactorType of each MFA setting GetUser lists. */
const FACTOR_OF_MFA_SETTING: Record<string, string> = { SOFTWARE_TOKEN_MFA: "SOFTWARE_TOKEN", EMAIL_OTP: "EMAIL_OTP", SMS_MFA: "SMS_OTP" };

/** GetUserAuthFactors: GetUser's MFA fields, and the factors the user has set up (`ConfiguredUserAuthFactors`). */
export async function getUserAuthFactors(deps: UserPoolDeps, body: Body) {
  const { pool, user } = await verifyAccessToken(deps, body["AccessToken"]);
  const { Username, UserMFASettingList, ...rest } = await getUser(deps, body);
  const preferred = "PreferredMfaSetting" in rest ? { PreferredMfaSetting: rest.PreferredMfaSetting } : {};
  const passkeys = pool.settings.signInPolicy.allowedFirstAuthFactors.includes("WEB_AUTHN") && (await deps.store.countWebAuthnCredentials(pool.settings.id, user.sub)) > 0;
  const mfaFactors = UserMFASettingList.map((setting) => FACTOR_OF_MFA_SETTING[setting]).filter((factor): factor is string => factor !== undefined);
  const emailCodes = pool.settings.signInPolicy.allowedFirstAuthFactors.includes("EMAIL_OTP") && user.attributes["email_verified"] === "true";
  const factors = new Set(["PASSWORD", ...mfaFactors, ...(emailCodes ? ["EMAIL_OTP"] : []), ...(passkeys ? ["WEB_AUTHN"] : [])]);
  return { Username, ...preferred, UserMFASettingList, ConfiguredUserAuthFactors: [...factors] };
}
