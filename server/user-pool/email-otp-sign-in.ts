/**
 * EMAIL_OTP as USER_AUTH's first factor (`user-auth.ts`): an eight-digit code mailed to the user's
 * verified email, answered with `EMAIL_OTP_CODE`. The challenge, its Session and its answer are
 * those of email MFA (`email-otp.ts`, `mfa-code-sign-in.ts`): a code is good once, a wrong one is
 * CodeMismatchException and counts against the session and the user's lockout. A code proves the
 * mailbox, so no MFA step follows, as in Cognito. A user who does not exist, is not confirmed, or
 * has no verified email gets a look-alike challenge (PreventUserExistenceErrors): the same
 * parameters, a Session of the same size (its sub a UUID derived from its nonce, so the answer can
 * tell it apart without storage), and every code answered with the CodeMismatchException a wrong
 * code of a real user gets.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import { EMAIL_OTP_SESSION, sealMfaSession, type MfaSession } from "./mfa-challenge.js";
import { issueMfaChallenge } from "./mfa-factors.js";
import type { SignInAnswer } from "./sign-in-session.js";
import { preAuthentication } from "./triggers/auth-triggers.js";
import { simulatedDelivery } from "./user-codes.js";
import type { LoadedClient, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";

/** The EMAIL_OTP challenge for `user` (null: a username that does not exist, answered alike). */
export async function startEmailOtpSignIn(deps: UserPoolDeps, loaded: LoadedClient, user: UserPoolUserWithAttributes | null, name: string, clientMetadata?: unknown): Promise<SignInAnswer> {
  const mailable = user !== null && user.status === "CONFIRMED" && user.enabled && user.attributes["email"] !== undefined && user.attributes["email_verified"] === "true";
  if (mailable) {
    await preAuthentication(deps, loaded, user, clientMetadata);
    return issueMfaChallenge(deps, loaded, user, "EMAIL_OTP", null);
  }
  // A session no stored code row backs, the size of a real one: every answer is a wrong code.
  const nonce = randomBytes(16).toString("hex");
  const session = sealMfaSession(deps, EMAIL_OTP_SESSION, { p: loaded.pool.settings.id, c: loaded.client.id, s: lookAlikeSub(deps, nonce), u: user?.username ?? name, n: nonce });
  const delivery = simulatedDelivery(name);
  return { ChallengeName: "EMAIL_OTP", Session: session, ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: "EMAIL", CODE_DELIVERY_DESTINATION: delivery.Destination } };
}

/** The sub of a look-alike session: a UUID-shaped keyed hash of its nonce, which no user's sub equals. */
function lookAlikeSub(deps: UserPoolDeps, nonce: string): string {
  const hex = createHmac("sha256", deps.hashKey).update(`email-otp-look-alike:${nonce}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Answers an EMAIL_OTP code given to a look-alike session as a real user's wrong code is answered;
 * returns when `session` is a real one.
 * @throws CodeMismatchException for a look-alike session
 */
export function refuseLookAlikeAnswer(deps: UserPoolDeps, session: MfaSession): void {
  if (session.s === lookAlikeSub(deps, session.n)) throw new UserPoolError("CodeMismatchException", "Invalid code received for user");
}
