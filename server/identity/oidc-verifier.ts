/**
 * Verifies an OIDC provider's ID token with jose against the provider's key set: signature, an
 * algorithm allow-list (RS256, ES256, EdDSA: never `none`, never an HMAC, so a provider's public
 * key can never be used as a shared secret), `iss` equal to the configured issuer, `aud` (or
 * `azp`) one of the configured audiences, `exp` and `nbf` with a small leeway for clock drift,
 * and a `sub`. The login key is (issuer, `sub`): stable across renames of the provider in the
 * config, and unique across providers.
 */
import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import { SyncpoolError } from "../../core/errors.js";
import type { LoginKey } from "../storage/identity-store.js";
import type { JwksCache } from "./jwks-cache.js";
import type { ProviderSettings } from "./pool-settings.js";

/** The only algorithms a login token may be signed with. */
export const LOGIN_ALGORITHMS = ["RS256", "ES256", "EdDSA"] as const;

/** Leeway on `exp` and `nbf`, in seconds: device and provider clocks drift a little. */
export const LOGIN_CLOCK_LEEWAY_SECONDS = 60;

/** Longest `sub` accepted (OpenID Connect Core says at most 255 ASCII characters). */
export const MAX_SUBJECT_LENGTH = 255;

/** Header `typ` values of OAuth access tokens (RFC 9068), compared lowercased. */
const ACCESS_TOKEN_TYPES = new Set(["at+jwt", "application/at+jwt"]);

/** A login whose token checked out. */
export interface VerifiedLogin {
  /** The provider's configured name (role mappings are keyed by it). */
  providerName: string;
  /** What the login is stored as. */
  key: LoginKey;
  /** Every claim of the token, for role rules and principal tags. */
  claims: JWTPayload;
}

/** What verification needs. */
export interface OidcVerifierDeps {
  jwks: JwksCache;
  /** Server time, epoch ms. */
  now: () => number;
}

/**
 * Verifies `token` as an ID token of `provider`.
 * @throws SyncpoolError UNAUTHENTICATED with `reason` INVALID_LOGIN, LOGIN_EXPIRED, UNKNOWN_KEY or
 *   PROVIDER_UNAVAILABLE, and `provider` naming it.
 */
export async function verifyOidcLogin(deps: OidcVerifierDeps, provider: ProviderSettings, token: string): Promise<VerifiedLogin> {
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    // Refused before any key is fetched: junk tokens cost the provider nothing.
    if (!(LOGIN_ALGORITHMS as readonly unknown[]).includes(header.alg)) {
      throw invalid(provider, `algorithm "${String(header.alg)}" is not allowed (use ${LOGIN_ALGORITHMS.join(", ")})`);
    }
    if (typeof header.typ === "string" && ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase())) {
      throw invalid(provider, "this is an access token (typ at+jwt): send the provider's ID token");
    }
    kid = header.kid;
  } catch (error) {
    if (error instanceof SyncpoolError) throw error;
    throw invalid(provider, "the login token is not a JWT");
  }
  const keys = await deps.jwks.keysFor(provider, kid);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(keys), {
      algorithms: [...LOGIN_ALGORITHMS],
      issuer: provider.issuer,
      clockTolerance: LOGIN_CLOCK_LEEWAY_SECONDS,
      currentDate: new Date(deps.now()),
      requiredClaims: ["iss", "sub", "exp"],
    }));
  } catch (error) {
    throw fromJose(provider, error);
  }
  if (!audienceMatches(payload, provider.audiences)) {
    throw invalid(provider, `the token is for another audience (expected one of ${provider.audiences.join(", ")})`);
  }
  const subject = payload.sub;
  if (typeof subject !== "string" || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH) {
    throw invalid(provider, `"sub" must be a string of 1 to ${MAX_SUBJECT_LENGTH} characters`);
  }
  return { providerName: provider.name, key: { provider: provider.issuer, subject }, claims: payload };
}

/** `aud` (a string or an array) names one of `audiences`; `azp` alone never counts. */
function audienceMatches(payload: JWTPayload, audiences: readonly string[]): boolean {
  const aud = typeof payload.aud === "string" ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
  return aud.some((value) => audiences.includes(value));
}

function fromJose(provider: ProviderSettings, error: unknown): SyncpoolError {
  if (error instanceof SyncpoolError) return error;
  if (error instanceof joseErrors.JWTExpired) {
    return new SyncpoolError("UNAUTHENTICATED", `login "${provider.name}": the token has expired: sign in to the provider again`, {
      reason: "LOGIN_EXPIRED",
      provider: provider.name,
    });
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) {
    return new SyncpoolError("UNAUTHENTICATED", `login "${provider.name}": no key of the provider matches the token's key id`, {
      reason: "UNKNOWN_KEY",
      provider: provider.name,
    });
  }
  // jose's messages name the failed check (signature, claim, algorithm) and never echo the token.
  if (error instanceof joseErrors.JOSEError) return invalid(provider, error.message);
  throw error;
}

function invalid(provider: ProviderSettings, why: string): SyncpoolError {
  return new SyncpoolError("UNAUTHENTICATED", `login "${provider.name}": ${why}`, { reason: "INVALID_LOGIN", provider: provider.name });
}
