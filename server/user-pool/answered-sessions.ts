/**
 * Challenge sessions that take one answer: the SRP SECRET_BLOCK of PASSWORD_VERIFIER, the Session
 * of a CUSTOM_CHALLENGE and that of NEW_PASSWORD_REQUIRED. All are sealed and stateless
 * (`sealed-session.ts`), so nothing in them says whether they were answered; the answer is recorded
 * in storage (`useChallengeSession`), whose key refuses a second record, so a replay is refused
 * whichever instance on the database receives it. For SRP and custom challenges the record is taken
 * before the answer is checked or anything runs: a replay runs no trigger and counts no failed
 * sign-in, and a wrong answer spends its session as a right one does. NEW_PASSWORD_REQUIRED records
 * its answer once the new password passed the policy and history checks (a refused password can be
 * corrected) and before anything is set. The MFA challenges that end in tokens record their Session
 * as they end it (`mfa-challenge.ts`), so a replay of one is told it was used rather than expired.
 * Rows outlive their session only until the purge schedule runs.
 */
import { createHmac } from "node:crypto";
import { sealedBytes } from "./sealed-session.js";
import type { UserPoolDeps } from "./user-pool-deps.js";

/**
 * Records the answer to `sealed` (a session of `poolId` that expires at `expiresAt`, epoch ms), keyed
 * by a keyed hash of its bytes (any spelling of its base64 is the same session). False when it was
 * answered before, here or on another instance.
 */
export function answerOnce(deps: UserPoolDeps, poolId: string, sealed: string, expiresAt: number): Promise<boolean> {
  return deps.store.useChallengeSession(poolId, answeredSessionHash(deps, sealed), expiresAt);
}

/** The key `sealed` is recorded under once answered. */
export function answeredSessionHash(deps: UserPoolDeps, sealed: string): string {
  return createHmac("sha256", deps.hashKey).update("answered-session:").update(sealedBytes(sealed)).digest("hex");
}

/** Whether `sealed` (a session of `poolId`) is recorded as answered. Reads only. */
export function wasAnswered(deps: UserPoolDeps, poolId: string, sealed: string): Promise<boolean> {
  return deps.store.isChallengeSessionUsed(poolId, answeredSessionHash(deps, sealed));
}
