/**
 * Email one-time codes, as Cognito's EMAIL_OTP sends them: eight digits, mailed through the pool's
 * mailer (`code-mailer.ts`), good once and for as long as the challenge's Session. The MFA step of
 * a sign-in uses them (`mfa-code-sign-in.ts`), and so may any flow that signs in with an emailed
 * code: `sendEmailOtp` issues, `checkEmailOtp` checks.
 */
import type { UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import { MFA_SESSION_MS } from "./mfa-challenge.js";
import { checkSignInCode, issueSignInCode, type SignInCodeCheck } from "./mfa-codes.js";
import { maskEmail } from "./user-codes.js";
import type { LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";

/** Digits of an email OTP (Cognito's are eight). */
export const EMAIL_OTP_DIGITS = 8;
/** The stored code's purpose: one live email OTP per user. */
export const EMAIL_OTP_PURPOSE = "EMAIL_OTP";

/** The challenge parameters that tell the client where the code went. */
export interface CodeDeliveryParameters extends Record<string, string> {
  CODE_DELIVERY_DELIVERY_MEDIUM: "EMAIL" | "SMS";
  CODE_DELIVERY_DESTINATION: string;
}

/** Mails a new email OTP to `email` (the user's by default), replacing any live one. */
export async function sendEmailOtp(deps: UserPoolDeps, pool: LoadedUserPool, user: UserPoolUserWithAttributes, email: string, ttlMs = MFA_SESSION_MS): Promise<CodeDeliveryParameters> {
  const code = await issueSignInCode(deps, pool.settings.id, user.sub, EMAIL_OTP_PURPOSE, EMAIL_OTP_DIGITS, ttlMs);
  await deps.mailer.send({ poolId: pool.settings.id, username: user.username, to: email, purpose: EMAIL_OTP_PURPOSE, subject: "Your sign-in code", text: `Your one-time sign-in code is ${code}`, code });
  return { CODE_DELIVERY_DELIVERY_MEDIUM: "EMAIL", CODE_DELIVERY_DESTINATION: maskEmail(email) };
}

/** Checks an email OTP once (see `checkSignInCode`). */
export function checkEmailOtp(deps: UserPoolDeps, pool: LoadedUserPool, user: UserPoolUserWithAttributes, code: string): Promise<SignInCodeCheck> {
  return checkSignInCode(deps, pool.settings.id, user.sub, EMAIL_OTP_PURPOSE, code);
}
