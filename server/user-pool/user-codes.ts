/**
 * One-time codes: six digits, mailed to the user's email, stored only as a keyed hash, one live
 * code per user and purpose. Sign-up and attribute codes live 24 hours and password-reset codes one
 * hour, as Cognito's; five wrong answers end a code. Checking removes the code, so one code
 * confirms once even when two requests race.
 */
import { createHmac, randomInt, timingSafeEqual } from "node:crypto";
import type { UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import type { LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { customMessage, type CodeMessageContext } from "./triggers/custom-message.js";

/** What a code is for, with its lifetime and the mail's wording. */
export const CODE_PURPOSES = {
  SIGN_UP: { ttlMs: 24 * 3_600_000, subject: "Your verification code", text: "Your confirmation code is {####}", triggerSource: "CustomMessage_SignUp" },
  FORGOT_PASSWORD: { ttlMs: 3_600_000, subject: "Your password reset code", text: "Your password reset code is {####}", triggerSource: "CustomMessage_ForgotPassword" },
  "VERIFY:email": { ttlMs: 24 * 3_600_000, subject: "Your verification code", text: "Your verification code is {####}", triggerSource: "CustomMessage_UpdateUserAttribute" },
  "VERIFY:phone_number": { ttlMs: 24 * 3_600_000, subject: "Your verification code", text: "Your verification code is {####}", triggerSource: "CustomMessage_VerifyUserAttribute" },
} as const;

/** A purpose of `CODE_PURPOSES`. */
export type CodePurpose = keyof typeof CODE_PURPOSES;

/** Wrong answers after which a code stops working. */
export const MAX_CODE_ATTEMPTS = 5;

/** Cognito's `CodeDeliveryDetails`. */
export interface CodeDeliveryDetails {
  Destination: string;
  DeliveryMedium: "EMAIL" | "SMS";
  AttributeName: "email" | "phone_number";
}

/** The keyed hash a code is stored as. */
export const codeHash = (deps: Pick<UserPoolDeps, "hashKey">, poolId: string, sub: string, purpose: string, code: string) =>
  createHmac("sha256", deps.hashKey).update(`code:${poolId}:${sub}:${purpose}:${code}`).digest("hex");

/** `alice@example.com` as `a***@e***`: enough for the user to recognise, too little to learn the address. */
export function maskEmail(email: string): string {
  const [local = "", domain = ""] = email.split("@");
  return `${local.charAt(0)}***@${domain.charAt(0)}***`;
}

/** Delivery details that look like a real one, for a user who does not exist (PreventUserExistenceErrors). */
export function simulatedDelivery(name: string): CodeDeliveryDetails {
  return { Destination: maskEmail(name.includes("@") ? name : `${name}@example.com`), DeliveryMedium: "EMAIL", AttributeName: "email" };
}

/**
 * Makes a new code for `user` and `purpose`, replacing any live one, and mails it to `email` (the
 * user's email by default), worded by the pool's custom message trigger when there is one and the
 * request's `message` context is given.
 * @throws InvalidParameterException when the user has no email to send it to; the trigger's exceptions.
 */
export async function sendCode(
  deps: UserPoolDeps,
  pool: LoadedUserPool,
  user: UserPoolUserWithAttributes,
  purpose: CodePurpose,
  email = user.attributes["email"],
  message?: CodeMessageContext,
): Promise<CodeDeliveryDetails> {
  if (email === undefined) throw new UserPoolError("InvalidParameterException", "Cannot reset password for the user as there is no registered/verified email or phone_number");
  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  const now = deps.now();
  const spec = CODE_PURPOSES[purpose];
  const { subject, text } = await customMessage(deps, pool, user, spec.triggerSource, message, spec);
  await deps.store.saveCode({ poolId: pool.settings.id, sub: user.sub, purpose, codeHash: codeHash(deps, pool.settings.id, user.sub, purpose, code), attempts: 0, expiresAt: now + spec.ttlMs, createdAt: now });
  await deps.mailer.send({ poolId: pool.settings.id, username: user.username, to: email, purpose, subject, text: text.replaceAll("{####}", code), code });
  return { Destination: maskEmail(email), DeliveryMedium: "EMAIL", AttributeName: "email" };
}

/**
 * Accepts `code` for `user` and `purpose` once, removing it.
 * @throws CodeMismatchException (wrong or no code), ExpiredCodeException, LimitExceededException (too many wrong answers).
 */
export async function consumeCode(deps: UserPoolDeps, pool: LoadedUserPool, user: UserPoolUserWithAttributes, purpose: CodePurpose, code: string): Promise<void> {
  const poolId = pool.settings.id;
  const stored = await deps.store.getCode(poolId, user.sub, purpose);
  const mismatch = () => new UserPoolError("CodeMismatchException", "Invalid verification code provided, please try again.");
  if (stored === null) throw mismatch();
  if (stored.attempts >= MAX_CODE_ATTEMPTS) throw new UserPoolError("LimitExceededException", "Attempt limit exceeded, please try after some time.");
  if (stored.expiresAt <= deps.now()) throw new UserPoolError("ExpiredCodeException", "Invalid code provided, please request a code again.");
  const given = Buffer.from(codeHash(deps, poolId, user.sub, purpose, code), "hex");
  if (!timingSafeEqual(given, Buffer.from(stored.codeHash, "hex"))) {
    const attempts = await deps.store.countCodeAttempt(poolId, user.sub, purpose);
    if (attempts >= MAX_CODE_ATTEMPTS) throw new UserPoolError("LimitExceededException", "Attempt limit exceeded, please try after some time.");
    throw mismatch();
  }
  if (!(await deps.store.deleteCode(poolId, user.sub, purpose))) throw mismatch();
}
