/**
 * The codes a sign-in sends (email OTP, SMS MFA): random digits, stored only as a keyed hash under
 * one purpose per channel, one live code per user and purpose, living as long as the challenge's
 * Session. A right code is removed as it is accepted, so it is good once even when two answers
 * race; wrong answers are counted by the caller, against the MFA session and the user's lockout.
 */
import { randomInt, timingSafeEqual } from "node:crypto";
import { codeHash } from "./user-codes.js";
import type { UserPoolDeps } from "./user-pool-deps.js";

/** What checking a code found. */
export type SignInCodeCheck = "accepted" | "wrong" | "expired";

/** Makes and stores a new code of `digits` digits for the user and purpose, replacing any live one. */
export async function issueSignInCode(deps: UserPoolDeps, poolId: string, sub: string, purpose: string, digits: number, ttlMs: number): Promise<string> {
  const code = String(randomInt(0, 10 ** digits)).padStart(digits, "0");
  const now = deps.now();
  await deps.store.saveCode({ poolId, sub, purpose, codeHash: codeHash(deps, poolId, sub, purpose, code), attempts: 0, expiresAt: now + ttlMs, createdAt: now });
  return code;
}

/** Accepts `code` once: "accepted" removes it; "wrong" when it does not match (or there is none); "expired" when its time is up. */
export async function checkSignInCode(deps: UserPoolDeps, poolId: string, sub: string, purpose: string, code: string): Promise<SignInCodeCheck> {
  const stored = await deps.store.getCode(poolId, sub, purpose);
  if (stored === null) return "wrong";
  if (stored.expiresAt <= deps.now()) return "expired";
  const given = Buffer.from(codeHash(deps, poolId, sub, purpose, code), "hex");
  if (!timingSafeEqual(given, Buffer.from(stored.codeHash, "hex"))) {
    await deps.store.countCodeAttempt(poolId, sub, purpose);
    return "wrong";
  }
  return (await deps.store.deleteCode(poolId, sub, purpose)) ? "accepted" : "wrong";
}
