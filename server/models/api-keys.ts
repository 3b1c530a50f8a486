/**
 * API keys for an identity pool's model API (AppSync's `apiKey` auth, sent as `x-api-key`). A key
 * is self-contained: the pool, its expiry and an HMAC-SHA256 over both with the server's session
 * keys (the newest signs, every one verifies, as for sync session tokens), so keys need no table
 * and every instance of a cluster accepts them. A key dies at its expiry, or when the session keys
 * it was signed with are retired by rotation.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { SyncpoolError } from "../../core/errors.js";

/** The prefix AppSync's keys carry (`da2-`); clients treat the rest as opaque. */
const PREFIX = "da2-";
/** AppSync's bounds: a key lives at least a day and at most 365 days. */
export const MAX_API_KEY_DAYS = 365;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A key as issued. */
export interface IssuedApiKey {
  apiKey: string;
  identityPoolId: string;
  expiresAt: number;
}

function signature(secret: Uint8Array, body: string): Buffer {
  return createHmac("sha256", secret).update(`syncpool-appsync-api-key\u0000${body}`).digest();
}

/**
 * A new key for `identityPoolId`, valid `expiresInDays` from `now`.
 * @throws SyncpoolError BAD_USER_INPUT unless `expiresInDays` is a whole number from 1 to 365.
 */
export function issueApiKey(secret: Uint8Array, identityPoolId: string, expiresInDays: number, now: number): IssuedApiKey {
  if (!Number.isSafeInteger(expiresInDays) || expiresInDays < 1 || expiresInDays > MAX_API_KEY_DAYS) {
    throw new SyncpoolError("BAD_USER_INPUT", `expiresInDays must be a whole number from 1 to ${MAX_API_KEY_DAYS}`, { field: "expiresInDays" });
  }
  const expiresAt = now + expiresInDays * DAY_MS;
  const body = Buffer.from(JSON.stringify({ p: identityPoolId, e: expiresAt })).toString("base64url");
  return { apiKey: `${PREFIX}${body}.${signature(secret, body).toString("base64url")}`, identityPoolId, expiresAt };
}

/** The pool `apiKey` was issued for, or null when it is malformed, forged, or expired at `now`. */
export function verifyApiKey(secrets: readonly Uint8Array[], apiKey: string, now: number): string | null {
  if (!apiKey.startsWith(PREFIX)) return null;
  const [body, signed, extra] = apiKey.slice(PREFIX.length).split(".");
  if (!body || !signed || extra !== undefined) return null;
  const given = Buffer.from(signed, "base64url");
  const genuine = secrets.some((secret) => {
    const expected = signature(secret, body);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!genuine) return null;
  const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as { p: unknown; e: unknown };
  if (typeof claims.p !== "string" || typeof claims.e !== "number" || claims.e <= now) return null;
  return claims.p;
}
