/**
 * Authorization codes of the hosted UI. The user signed in on the page already, so the code's
 * sign-in session and its first refresh token exist (`sign-in-session.ts`); the code carries them
 * sealed (AES-GCM under the session key, five minutes) with what the token request must match:
 * client, `redirect_uri`, PKCE challenge, scopes, nonce. A one-time row beside it (a user code of
 * purpose `OAUTH_CODE:<client>`, holding the code's nonce hashed) makes it good once on every
 * instance; a code presented again revokes its session (RFC 6749 §4.1.2), since a stolen code
 * raced the app.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { LoadedClient, UserPoolDeps } from "../user-pool-deps.js";
import { openSession, sealSession } from "../sealed-session.js";
import type { AuthorizeRequest } from "./authorize-request.js";
import { OAuthError } from "./oauth-errors.js";

/** How long a code stays good (Cognito's five minutes). */
export const CODE_LIFETIME_MS = 5 * 60_000;
const PURPOSE = "user-pool:oauth-code";
const rowPurpose = (clientId: string) => `OAUTH_CODE:${clientId}`;
const nonceHash = (deps: UserPoolDeps, nonce: string) => createHmac("sha256", deps.hashKey).update(`oauth-code:${nonce}`).digest("hex");

interface CodePayload extends Record<string, unknown> {
  p: string;
  c: string;
  s: string;
  /** The session's origin_jti and its first refresh token. */
  o: string;
  t: string;
  r: string;
  ch: string | null;
  sc: string[];
  no: string | null;
  n: string;
}

/** What a redeemed code grants. */
export interface RedeemedCode {
  sub: string;
  originJti: string;
  refreshToken: string;
  scopes: string[];
  nonce: string | null;
}

/** A new code for the sign-in `originJti` (whose first refresh token is `refreshToken`) of `sub`. */
export async function issueCode(deps: UserPoolDeps, request: AuthorizeRequest, sub: string, originJti: string, refreshToken: string): Promise<string> {
  const now = deps.now();
  const nonce = randomBytes(16).toString("hex");
  const { loaded } = request;
  await deps.store.saveCode({ poolId: loaded.pool.settings.id, sub, purpose: rowPurpose(loaded.client.id), codeHash: nonceHash(deps, nonce), attempts: 0, expiresAt: now + CODE_LIFETIME_MS, createdAt: now });
  const payload: CodePayload = { p: loaded.pool.settings.id, c: loaded.client.id, s: sub, o: originJti, t: refreshToken, r: request.redirectUri, ch: request.codeChallenge, sc: request.scopes, no: request.nonce, n: nonce };
  return sealSession(deps.sessionKey, PURPOSE, payload, now + CODE_LIFETIME_MS).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Redeems `code` for `loaded` (already authenticated when it has a secret).
 * @throws OAuthError invalid_grant for a wrong, expired, used or mismatched code or verifier.
 */
export async function redeemCode(deps: UserPoolDeps, loaded: LoadedClient, code: string, redirectUri: string | null, codeVerifier: string | null): Promise<RedeemedCode> {
  const invalid = new OAuthError("invalid_grant", "The authorization code is invalid, expired or used.");
  const payload = code.length > 4096 ? null : openSession<CodePayload>(deps.sessionKey, PURPOSE, code, deps.now());
  if (payload === null || payload.c !== loaded.client.id || payload.p !== loaded.pool.settings.id) throw invalid;
  if (redirectUri !== payload.r) throw new OAuthError("invalid_grant", "redirect_uri differs from the authorize request's.");
  if (payload.ch !== null) {
    if (codeVerifier === null || !/^[A-Za-z0-9._~-]{43,128}$/.test(codeVerifier)) throw new OAuthError("invalid_grant", "code_verifier is missing or malformed.");
    const computed = Buffer.from(createHash("sha256").update(codeVerifier).digest("base64url"));
    const expected = Buffer.from(payload.ch);
    if (computed.length !== expected.length || !timingSafeEqual(computed, expected)) throw new OAuthError("invalid_grant", "code_verifier does not match the code_challenge.");
  }
  const row = await deps.store.getCode(payload.p, payload.s, rowPurpose(payload.c));
  const live = row !== null && timingSafeEqual(Buffer.from(row.codeHash, "hex"), Buffer.from(nonceHash(deps, payload.n), "hex"));
  if (!live || !(await deps.store.deleteCode(payload.p, payload.s, rowPurpose(payload.c)))) {
    // Used before (or replaced by a newer sign-in of the same user and client): whoever holds this code is not the app.
    if (await deps.store.revokeSession(payload.o, deps.now())) deps.logger.warn({ poolId: payload.p, clientId: payload.c }, "an authorization code was presented again: its session is revoked");
    throw invalid;
  }
  return { sub: payload.s, originJti: payload.o, refreshToken: payload.t, scopes: payload.sc, nonce: payload.no };
}
