/**
 * The sessions of the MFA step of a sign-in whose password was just proven (which challenge is
 * asked: `mfa-factors.ts`). The Session is sealed and stateless like SRP's secret block; beside it one
 * row per user (a code of purpose SIGN_IN_MFA holding the session's nonce, hashed) counts wrong
 * codes, so a session takes at most `MAX_MFA_ATTEMPTS` and a newer sign-in retires the older one.
 * The answer that ends a session deletes that row and records the Session as answered in one
 * transaction (`answered-sessions.ts`): presented again, it is refused as used once, while a
 * Session that was never answered and whose row is gone is refused as expired.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { UserPoolUser } from "../storage/user-pool-store.js";
import type { LoadedClient, UserPoolDeps } from "./user-pool-deps.js";
import { endAnsweredSession, staleSessionError } from "./answered-sessions.js";
import { UserPoolError } from "./user-pool-errors.js";
import { openSession, sealSession } from "./sealed-session.js";

/** How long an MFA challenge's Session stays usable (Cognito's three minutes). */
export const MFA_SESSION_MS = 3 * 60_000;
/** Wrong codes one MFA session takes; the next answer is refused with NotAuthorizedException. */
export const MAX_MFA_ATTEMPTS = 5;
/** Sealing purposes of the challenges' sessions. */
export const SOFTWARE_TOKEN_MFA_SESSION = "user-pool:software-token-mfa";
export const MFA_SETUP_SESSION = "user-pool:mfa-setup";
export const EMAIL_OTP_SESSION = "user-pool:email-otp";
export const SMS_MFA_SESSION = "user-pool:sms-mfa";
export const SELECT_MFA_TYPE_SESSION = "user-pool:select-mfa-type";
const ATTEMPTS_PURPOSE = "SIGN_IN_MFA";

/**
 * What an MFA session carries: pool, client, the user's sub and username, a nonce, (MFA_SETUP)
 * whether a code verified the new secret, and (EMAIL_OTP after MFA_SETUP) the address being set up.
 */
export interface MfaSession extends Record<string, unknown> {
  p: string;
  c: string;
  s: string;
  u: string;
  n: string;
  v?: boolean;
  e?: string;
}

/** An MFA challenge. */
export interface MfaChallenge {
  ChallengeName: "SOFTWARE_TOKEN_MFA" | "EMAIL_OTP" | "SMS_MFA" | "SELECT_MFA_TYPE" | "MFA_SETUP";
  Session: string;
  ChallengeParameters: Record<string, string>;
}

const nonceHash = (deps: UserPoolDeps, nonce: string) => createHmac("sha256", deps.hashKey).update(`mfa-session:${nonce}`).digest("hex");
const expired = () => new UserPoolError("NotAuthorizedException", "Invalid session for the user, session is expired.");

/** Starts the MFA session of a sign-in: a new nonce row (replacing an older sign-in's) and the sealed Session for `purpose`. */
export async function startMfaSession(deps: UserPoolDeps, loaded: LoadedClient, user: UserPoolUser, purpose: string): Promise<string> {
  const now = deps.now();
  const nonce = randomBytes(16).toString("hex");
  await deps.store.saveCode({ poolId: user.poolId, sub: user.sub, purpose: ATTEMPTS_PURPOSE, codeHash: nonceHash(deps, nonce), attempts: 0, expiresAt: now + MFA_SESSION_MS, createdAt: now });
  return sealMfaSession(deps, purpose, { p: user.poolId, c: loaded.client.id, s: user.sub, u: user.username, n: nonce });
}

/** `session` sealed again with a fresh expiry (each answer in MFA_SETUP returns a new Session). */
export function sealMfaSession(deps: UserPoolDeps, purpose: string, session: MfaSession): string {
  const { exp: _exp, ...payload } = session as MfaSession & { exp?: number };
  return sealSession(deps.sessionKey, purpose, payload, deps.now() + MFA_SESSION_MS);
}

/**
 * Opens an MFA session and checks it is still the user's live one with attempts left.
 * @throws NotAuthorizedException when it is altered, expired, replaced, answered already or out of attempts.
 */
export async function openMfaSession(deps: UserPoolDeps, purpose: string, sealed: unknown): Promise<MfaSession> {
  if (typeof sealed !== "string" || sealed.length === 0 || sealed.length > 2048) throw expired();
  const session = openSession<MfaSession>(deps.sessionKey, purpose, sealed, deps.now());
  if (session === null) throw expired();
  const attempts = await deps.store.getCode(session.p, session.s, ATTEMPTS_PURPOSE);
  const given = Buffer.from(nonceHash(deps, session.n), "hex");
  if (attempts === null || !timingSafeEqual(given, Buffer.from(attempts.codeHash, "hex"))) {
    throw await staleSessionError(deps, session.p, sealed);
  }
  if (attempts.attempts >= MAX_MFA_ATTEMPTS) throw new UserPoolError("NotAuthorizedException", "Invalid session for the user.");
  return session;
}

/** Counts a wrong code against the session. */
export async function countMfaAttempt(deps: UserPoolDeps, session: MfaSession): Promise<void> {
  await deps.store.countCodeAttempt(session.p, session.s, ATTEMPTS_PURPOSE);
}

/**
 * Ends the session once its challenge is answered, recording `sealed` (its Session, opened just now, so
 * expiring within MFA_SESSION_MS) as answered.
 * @throws NotAuthorizedException when another answer ended it first, or it was retired meanwhile.
 */
export function endMfaSession(deps: UserPoolDeps, session: MfaSession, sealed: string): Promise<void> {
  return endAnsweredSession(deps, session.p, session.s, ATTEMPTS_PURPOSE, sealed, deps.now() + MFA_SESSION_MS);
}
