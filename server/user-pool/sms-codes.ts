/**
 * Codes sent by text message (`sms-sender.ts`): the SMS_MFA code of a sign-in (six digits, good
 * once, for as long as the challenge's Session) and the codes that verify a phone number (sign-up,
 * GetUserAttributeVerificationCode: six digits, 24 hours, checked like mailed ones by `consumeCode`).
 */
import type { UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import type { CodeDeliveryParameters } from "./email-otp.js";
import { MFA_SESSION_MS } from "./mfa-challenge.js";
import { checkSignInCode, issueSignInCode, type SignInCodeCheck } from "./mfa-codes.js";
import { maskPhoneNumber } from "./sms-sender.js";
import { CODE_PURPOSES, type CodePurpose } from "./user-codes.js";
import type { LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";

/** The stored SMS_MFA code's purpose. */
export const SMS_MFA_PURPOSE = "SMS_MFA";

const phoneOf = (user: UserPoolUserWithAttributes): string => {
  const phone = user.attributes["phone_number"];
  if (phone === undefined) throw new UserPoolError("InvalidParameterException", "User does not have a phone_number to send the code to.");
  return phone;
};

/** Texts a new SMS_MFA code to the user's phone number. */
export async function sendSmsMfaCode(deps: UserPoolDeps, pool: LoadedUserPool, user: UserPoolUserWithAttributes): Promise<CodeDeliveryParameters> {
  const phoneNumber = phoneOf(user);
  const code = await issueSignInCode(deps, pool.settings.id, user.sub, SMS_MFA_PURPOSE, 6, MFA_SESSION_MS);
  await deps.sms.send(pool, { type: "SMS_MFA", phoneNumber, code, message: `Your sign-in code is ${code}`, userPoolId: pool.settings.id, username: user.username });
  return { CODE_DELIVERY_DELIVERY_MEDIUM: "SMS", CODE_DELIVERY_DESTINATION: maskPhoneNumber(phoneNumber) };
}

/** Checks an SMS_MFA code once (see `checkSignInCode`). */
export function checkSmsMfaCode(deps: UserPoolDeps, pool: LoadedUserPool, user: UserPoolUserWithAttributes, code: string): Promise<SignInCodeCheck> {
  return checkSignInCode(deps, pool.settings.id, user.sub, SMS_MFA_PURPOSE, code);
}

/** Texts a code for `purpose` (sign-up or verifying the phone number), checked later by `consumeCode`; Cognito's CodeDeliveryDetails. */
export async function sendSmsCode(deps: UserPoolDeps, pool: LoadedUserPool, user: UserPoolUserWithAttributes, purpose: Extract<CodePurpose, "SIGN_UP" | "VERIFY:phone_number">) {
  const phoneNumber = phoneOf(user);
  if (!deps.sms.canSend(pool)) throw new UserPoolError("InvalidParameterException", "This user pool has no SMS sender configured (smsSender).");
  const spec = CODE_PURPOSES[purpose];
  const code = await issueSignInCode(deps, pool.settings.id, user.sub, purpose, 6, spec.ttlMs);
  const type = purpose === "SIGN_UP" ? "SIGN_UP" : "VERIFY_PHONE_NUMBER";
  await deps.sms.send(pool, { type, phoneNumber, code, message: spec.text.replace("{####}", code), userPoolId: pool.settings.id, username: user.username });
  return { Destination: maskPhoneNumber(phoneNumber), DeliveryMedium: "SMS" as const, AttributeName: "phone_number" as const };
}
