/**
 * EMAIL_OTP as USER_AUTH's first factor (`user-auth.ts`): an eight-digit code mailed to the user's
 * verified email, answered with `EMAIL_OTP_CODE`. The challenge, its Session and its answer are
 * those of email MFA (`email-otp.ts`, `mfa-code-sign-in.ts`): a code is good once, a wrong one is
 * CodeMismatchException and counts against the session and the user's lockout. A code proves the
 * mailbox, so no MFA step follows, as in Cognito. A user who does not exist, is not confirmed, or
 * has no verified email gets a challenge that looks the same and that no code answers.
 */
import { randomBytes } from "node:crypto";
import type { UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import { EMAIL_OTP_SESSION, sealMfaSession } from "./mfa-challenge.js";
import { issueMfaChallenge } from "./mfa-factors.js";
import type { SignInAnswer } from "./sign-in-session.js";
import { preAuthentication } from "./triggers/auth-triggers.js";
import { simulatedDelivery } from "./user-codes.js";
import type { LoadedClient, UserPoolDeps } from "./user-pool-deps.js";

/** The EMAIL_OTP challenge for `user` (null: a username that does not exist, answered alike). */
export async function startEmailOtpSignIn(deps: UserPoolDeps, loaded: LoadedClient, user: UserPoolUserWithAttributes | null, name: string, clientMetadata?: unknown): Promise<SignInAnswer> {
  const mailable = user !== null && user.status === "CONFIRMED" && user.enabled && user.attributes["email"] !== undefined && user.attributes["email_verified"] === "true";
  if (mailable) {
    await preAuthentication(deps, loaded, user, clientMetadata);
    return issueMfaChallenge(deps, loaded, user, "EMAIL_OTP", null);
  }
  // A session no stored code row backs: every answer is refused as an expired session.
  const session = sealMfaSession(deps, EMAIL_OTP_SESSION, { p: loaded.pool.settings.id, c: loaded.client.id, s: `none:${randomBytes(8).toString("hex")}`, u: user?.username ?? name, n: randomBytes(16).toString("hex") });
  const delivery = simulatedDelivery(name);
  return { ChallengeName: "EMAIL_OTP", Session: session, ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: "EMAIL", CODE_DELIVERY_DESTINATION: delivery.Destination } };
}
