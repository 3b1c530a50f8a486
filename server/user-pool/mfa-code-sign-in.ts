/**
 * RespondToAuthChallenge for the MFA factors that send a code, and for choosing one:
 * - EMAIL_OTP (`EMAIL_OTP_CODE`) and SMS_MFA (`SMS_MFA_CODE`): the code sent with the challenge,
 *   good once; a wrong one is CodeMismatchException and counts against the session and towards
 *   the user's lockout, like a wrong TOTP code;
 * - SELECT_MFA_TYPE (`ANSWER`: SOFTWARE_TOKEN_MFA, EMAIL_OTP or SMS_MFA): that factor's challenge;
 * - MFA_SETUP answered with `EMAIL` (Amplify's email set-up): a code is mailed to that address,
 *   and the right code makes it the user's verified email and email MFA the preferred factor.
 * The Sessions of SELECT_MFA_TYPE and of MFA_SETUP's `EMAIL` answer each take one accepted answer
 * (`answered-sessions.ts`): the challenge they lead to has a new Session, and the old one presented
 * again is refused as Cognito refuses a used session, so a replay sends no further code.
 */
import { answerOnce } from "./answered-sessions.js";
import { checkEmailOtp } from "./email-otp.js";
import { refuseLookAlikeAnswer } from "./email-otp-sign-in.js";
import { openSession } from "./sealed-session.js";
import { checkLockout, clearFailedSignIns, countFailedSignIn } from "./lockout.js";
import { countMfaAttempt, EMAIL_OTP_SESSION, endMfaSession, MFA_SESSION_MS, openMfaSession, SELECT_MFA_TYPE_SESSION, SMS_MFA_SESSION, type MfaSession } from "./mfa-challenge.js";
import { issueMfaChallenge, offeredMfaTypes, usableMfaTypes } from "./mfa-factors.js";
import { saveMfaPreference } from "./mfa-preference.js";
import { startSession, type SignInAnswer } from "./sign-in-session.js";
import { checkSmsMfaCode } from "./sms-codes.js";
import { MFA_TYPES, type MfaType } from "./user-pool-config.js";
import type { LoadedClient, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError, usedSession } from "./user-pool-errors.js";
import { looksLikeEmail, type Body } from "./user-pool-input.js";
import type { UserPoolUserWithAttributes } from "../storage/user-pool-store.js";

const expired = () => new UserPoolError("NotAuthorizedException", "Invalid session for the user, session is expired.");

/** Spends `sealed` (the Session of `session`) on an accepted answer. @throws NotAuthorizedException when it was answered before. */
async function answerAccepted(deps: UserPoolDeps, session: MfaSession, sealed: string): Promise<void> {
  // The Session was opened just now, so it expires within MFA_SESSION_MS: the record may be forgotten after that.
  if (!(await answerOnce(deps, session.p, sealed, deps.now() + MFA_SESSION_MS))) throw usedSession();
}

/** The session's user, when the session belongs to this client and the user may still sign in. */
export async function sessionUser(deps: UserPoolDeps, loaded: LoadedClient, session: MfaSession): Promise<UserPoolUserWithAttributes> {
  if (session.c !== loaded.client.id || session.p !== loaded.pool.settings.id) throw expired();
  const user = await deps.store.getUserBySub(session.p, session.s);
  if (user === null || !user.enabled) throw expired();
  return user;
}

const required = (responses: Record<string, unknown>, name: string): string => {
  const value = responses[name];
  if (typeof value !== "string" || value.length === 0) throw new UserPoolError("InvalidParameterException", `Missing required parameter ${name}`);
  return value.slice(0, 64);
};

/** RespondToAuthChallenge EMAIL_OTP or SMS_MFA. */
export async function answerCodeMfa(deps: UserPoolDeps, loaded: LoadedClient, body: Body, responses: Record<string, unknown>, type: "EMAIL_OTP" | "SMS_MFA"): Promise<SignInAnswer> {
  if (type === "EMAIL_OTP") answerLookAlike(deps, loaded, body["Session"], responses);
  const session = await openMfaSession(deps, type === "EMAIL_OTP" ? EMAIL_OTP_SESSION : SMS_MFA_SESSION, body["Session"]);
  const user = await sessionUser(deps, loaded, session);
  const counted = await checkLockout(deps, user);
  const code = required(responses, type === "EMAIL_OTP" ? "EMAIL_OTP_CODE" : "SMS_MFA_CODE");
  const check = type === "EMAIL_OTP" ? await checkEmailOtp(deps, loaded.pool, user, code) : await checkSmsMfaCode(deps, loaded.pool, user, code);
  if (check === "expired") throw expired();
  if (check === "wrong") {
    await countMfaAttempt(deps, session);
    await countFailedSignIn(deps, user);
    throw new UserPoolError("CodeMismatchException", "Invalid code received for user");
  }
  await endMfaSession(deps, session, body["Session"] as string);
  if (session.e !== undefined) await adoptEmail(deps, user, session.e);
  await clearFailedSignIns(deps, user, counted);
  const signedIn = session.e === undefined ? user : ((await deps.store.getUserBySub(user.poolId, user.sub)) ?? user);
  return { AuthenticationResult: await startSession(deps, loaded, signedIn), ChallengeParameters: {} };
}

/** Refuses an answer to a look-alike EMAIL_OTP sign-in (`email-otp-sign-in.ts`) as a real user's wrong code; returns for any other session. */
function answerLookAlike(deps: UserPoolDeps, loaded: LoadedClient, sealed: unknown, responses: Record<string, unknown>): void {
  if (typeof sealed !== "string" || sealed.length === 0 || sealed.length > 2048) return;
  const session = openSession<MfaSession>(deps.sessionKey, EMAIL_OTP_SESSION, sealed, deps.now());
  if (session === null || session.c !== loaded.client.id || session.p !== loaded.pool.settings.id) return;
  required(responses, "EMAIL_OTP_CODE");
  refuseLookAlikeAnswer(deps, session);
}

/** RespondToAuthChallenge SELECT_MFA_TYPE. */
export async function answerSelectMfaType(deps: UserPoolDeps, loaded: LoadedClient, body: Body, responses: Record<string, unknown>): Promise<SignInAnswer> {
  const session = await openMfaSession(deps, SELECT_MFA_TYPE_SESSION, body["Session"]);
  const user = await sessionUser(deps, loaded, session);
  const answer = required(responses, "ANSWER");
  const { enabled } = await usableMfaTypes(deps, loaded.pool, user);
  if (!(MFA_TYPES as readonly string[]).includes(answer) || !enabled.includes(answer as MfaType)) {
    throw new UserPoolError("InvalidParameterException", `ANSWER must be one of MFAS_CAN_CHOOSE: ${JSON.stringify(enabled)}`);
  }
  await answerAccepted(deps, session, body["Session"] as string);
  return issueMfaChallenge(deps, loaded, user, answer as MfaType, session);
}

/** RespondToAuthChallenge MFA_SETUP with `EMAIL`: mails an EMAIL_OTP challenge's code to that address. */
export async function answerEmailMfaSetup(deps: UserPoolDeps, loaded: LoadedClient, sealed: string, session: MfaSession, email: unknown): Promise<SignInAnswer> {
  const user = await sessionUser(deps, loaded, session);
  if (!offeredMfaTypes(deps, loaded.pool).includes("EMAIL_OTP")) throw new UserPoolError("InvalidParameterException", "Email MFA is not enabled for this user pool.");
  if (typeof email !== "string" || email.length > 2048 || !looksLikeEmail(email)) throw new UserPoolError("InvalidParameterException", "EMAIL must be an email address.");
  await answerAccepted(deps, session, sealed);
  return issueMfaChallenge(deps, loaded, user, "EMAIL_OTP", session, email);
}

/** The address an email set-up proved becomes the user's verified email, with email MFA preferred. */
async function adoptEmail(deps: UserPoolDeps, user: UserPoolUserWithAttributes, email: string): Promise<void> {
  const holders = await deps.store.findUsernamesByAttribute(user.poolId, "email", email);
  for (const username of holders.filter((holder) => holder !== user.username)) {
    const holder = await deps.store.getUser(user.poolId, username);
    if (holder?.attributes["email_verified"] === "true") throw new UserPoolError("AliasExistsException", "An account with the email already exists.");
  }
  await deps.store.setAttributes(user.poolId, user.sub, { email, email_verified: "true" }, deps.now());
  await saveMfaPreference(deps, user, { EMAIL_OTP: { Enabled: true, PreferredMfa: true } });
}
