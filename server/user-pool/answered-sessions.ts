/**
 * Challenge sessions that take one answer: the SRP SECRET_BLOCK of PASSWORD_VERIFIER, the Sessions
 * of CUSTOM_CHALLENGE, NEW_PASSWORD_REQUIRED and USER_AUTH's SELECT_CHALLENGE. All are sealed and stateless
 * (`sealed-session.ts`), so nothing in them says whether they were answered; the answer is recorded
 * in storage (`useChallengeSession`), whose key refuses a second record, so a replay is refused
 * whichever instance on the database receives it. For SRP and custom challenges the record is taken
 * before the answer is checked or anything runs: a replay runs no trigger and counts no failed
 * sign-in, and a wrong answer spends its session as a right one does. NEW_PASSWORD_REQUIRED records
 * its answer once the new password passed the policy and history checks (a refused password can be
 * corrected) and before anything is set.
 *
 * The challenges that keep a row per user beside their Session (the MFA challenges that end in tokens,
 * `mfa-challenge.ts`; a passkey's, `webauthn-sign-in.ts`; the sign-in ConfirmSignUp allows,
 * `user-auth.ts`) end it with `endAnsweredSession`: the row is deleted and the Session recorded in one
 * transaction, so a replay, wherever it lands, finds the record wherever it finds the row gone and is
 * told the Session was used once, while one retired unanswered (a newer sign-in replaced its row, or
 * it ran out) is told it expired. Rows outlive their session only until the purge schedule runs.
 */
import { createHmac } from "node:crypto";
import { sealedBytes } from "./sealed-session.js";
import type { UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError, usedSession } from "./user-pool-errors.js";

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

const expiredSession = () => new UserPoolError("NotAuthorizedException", "Invalid session for the user, session is expired.");

/**
 * The refusal of `sealed` (a session of `poolId` whose row is gone or replaced): used once when it was
 * answered, expired otherwise. Reads only.
 */
export async function staleSessionError(deps: UserPoolDeps, poolId: string, sealed: string): Promise<UserPoolError> {
  return (await wasAnswered(deps, poolId, sealed)) ? usedSession() : expiredSession();
}

/**
 * Ends the challenge whose row (`poolId`, `sub`, `purpose`) backs `sealed`, recording `sealed` as answered
 * until `expiresAt` (epoch ms, no earlier than the Session's own expiry) in the same transaction.
 * @throws NotAuthorizedException when another answer ended it first (used once) or it was retired meanwhile (expired).
 */
export async function endAnsweredSession(deps: UserPoolDeps, poolId: string, sub: string, purpose: string, sealed: string, expiresAt: number): Promise<void> {
  const ended = await deps.store.endChallengeSession(poolId, sub, purpose, answeredSessionHash(deps, sealed), expiresAt);
  if (!ended) throw await staleSessionError(deps, poolId, sealed);
}
