/**
 * Identity tokens: short-lived ES256 JWTs the server signs at sign-in (`sub` = identity id,
 * `aud` = pool id, `iss` = "syncpool") and checks on every data operation. A token also names the
 * role and principal tags it was issued with (`role`, `tags`) and whether its identity signed in
 * with a login (`amr`: ["authenticated"] or ["unauthenticated"], as Cognito's tokens say), so a
 * change to a pool's role rules applies to tokens issued afterwards, never to one in flight.
 * Verification allows only ES256 and our issuer, and maps every failure to UNAUTHENTICATED with a
 * message a client can act on ("token expired" means sign in again). A token verified once is
 * remembered by its exact text (`verified-tokens.ts`) and accepted again without its signature
 * check while it is unexpired, the key that verified it still verifies (a retired key's tokens
 * stop at once) and it names the pool asked for; anything else takes the full check.
 */
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT, type JWK } from "jose";
import { SyncpoolError } from "../../core/errors.js";
import { TOKEN_ALGORITHM, type SigningKeySet } from "./keys.js";
import { createVerifiedTokenCache } from "./verified-tokens.js";

/** Tokens remembered as verified, by default: one per live client of a busy server. */
export const DEFAULT_VERIFIED_TOKENS = 10_000;

/** The `iss` of every token this server signs. */
export const TOKEN_ISSUER = "syncpool";

/** A token and when it stops working (epoch ms). */
export interface IssuedToken {
  token: string;
  expiresAt: number;
}

/** What a token grants besides its identity: decided at sign-in, carried unchanged until it expires. */
export interface TokenGrant {
  /** The role the identity acts in; null when the pool defines no roles (everything allowed). */
  role: string | null;
  /** Principal tags taken from the login's claims, for `${tag:NAME}` in policies. */
  tags: Record<string, string>;
  /** True when the identity signed in with a login (OIDC or developer), false for a guest. */
  authenticated: boolean;
  /** Shared-dataset groups the login's token brought (a user pool's `cognito:groups`), besides stored memberships. */
  groups?: string[];
}

/** Who a verified token speaks for, and what it grants. */
export interface TokenClaims extends TokenGrant {
  identityId: string;
  poolId: string;
  /** When the token stops working, epoch ms (a token renewed from it must not outlive it). */
  expiresAt: number;
}

/** What a token without grant claims (issued before roles existed) is read as: a guest's default. */
const NO_GRANT: TokenGrant = { role: null, tags: {}, authenticated: false };

/** Signs and checks identity tokens with the server's key. */
export interface TokenService {
  /**
   * Signs a token for the identity; `grant` defaults to a guest without a role. `notAfterMs`
   * (epoch ms) shortens its life, for a token renewed from another: it expires no later than that.
   */
  issue(identityId: string, poolId: string, grant?: TokenGrant, notAfterMs?: number): Promise<IssuedToken>;
  /**
   * Checks signature, algorithm, issuer and expiry, and when `poolId` is given, that the token
   * was issued for that pool.
   * @throws SyncpoolError UNAUTHENTICATED ("token expired" or "invalid token: ...").
   */
  verify(token: string, poolId?: string): Promise<TokenClaims>;
  /** The public key set, as served at `/.well-known/jwks.json`: every key that still verifies, newest first. */
  readonly jwks: { keys: JWK[] };
}

export interface TokenServiceOptions {
  /** The keys in use, read on every call: after a rotation the newest signs and all verify. */
  keys: () => SigningKeySet;
  /**
   * Called when a token names a key not in `keys()`, then the lookup is tried once more: another
   * instance may have rotated and signed with the new key before this one noticed. Optional.
   */
  refreshKeys?: () => Promise<void>;
  ttlSeconds: number;
  /** Server time, epoch ms; tests move it to expire tokens. */
  now: () => number;
  /** Verified tokens remembered (least recently used go first); default DEFAULT_VERIFIED_TOKENS, 0: none. */
  verifiedTokens?: number;
}

/** Builds the token service over the server's keys. */
export function createTokenService({ keys, refreshKeys, ttlSeconds, now, verifiedTokens = DEFAULT_VERIFIED_TOKENS }: TokenServiceOptions): TokenService {
  const verified = createVerifiedTokenCache<TokenClaims>(verifiedTokens);
  /** The remembered claims, if they still stand: unexpired (as jose judges `exp`), key still held, audience as asked. */
  const remembered = (token: string, poolId: string | undefined): TokenClaims | null => {
    const entry = verified.get(token);
    if (entry === undefined) return null;
    const { claims, kid } = entry;
    if (now() < claims.expiresAt && keys().all.some((key) => key.kid === kid) && (poolId === undefined || claims.poolId === poolId)) return copyOf(claims);
    // Expired, retired or another audience: the full check says why.
    verified.delete(token);
    return null;
  };
  return {
    get jwks() {
      return { keys: keys().all.map((key) => key.publicJwk) };
    },

    async issue(identityId, poolId, grant = NO_GRANT, notAfterMs) {
      const issuedAtSeconds = Math.floor(now() / 1000);
      const expiresAtSeconds = Math.min(issuedAtSeconds + ttlSeconds, notAfterMs === undefined ? Infinity : Math.floor(notAfterMs / 1000));
      const claims = {
        ...(grant.role === null ? {} : { role: grant.role }),
        ...(Object.keys(grant.tags).length === 0 ? {} : { tags: grant.tags }),
        ...(grant.groups === undefined || grant.groups.length === 0 ? {} : { groups: grant.groups }),
        amr: [grant.authenticated ? "authenticated" : "unauthenticated"],
      };
      const { current } = keys();
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: current.kid, typ: "JWT" })
        .setIssuer(TOKEN_ISSUER)
        .setSubject(identityId)
        .setAudience(poolId)
        .setIssuedAt(issuedAtSeconds)
        .setExpirationTime(expiresAtSeconds)
        .sign(current.privateKey);
      return { token, expiresAt: expiresAtSeconds * 1000 };
    },

    async verify(token, poolId) {
      const known = remembered(token, poolId);
      if (known !== null) return known;
      try {
        let key = verifyingKey(keys(), token);
        if (key === null && refreshKeys !== undefined) {
          // A failed check (database briefly away) leaves the keys as they were: the token is judged on those.
          await refreshKeys().catch(() => undefined);
          key = verifyingKey(keys(), token);
        }
        if (key === null) throw new SyncpoolError("UNAUTHENTICATED", "invalid token: signed with a key this server does not hold (sign in again)", { reason: "INVALID_TOKEN" });
        const { payload } = await jwtVerify(token, key.publicKey, {
          algorithms: [TOKEN_ALGORITHM],
          issuer: TOKEN_ISSUER,
          ...(poolId === undefined ? {} : { audience: poolId }),
          currentDate: new Date(now()),
          requiredClaims: ["sub", "aud", "exp"],
        });
        if (typeof payload.sub !== "string" || typeof payload.aud !== "string") {
          throw new SyncpoolError("UNAUTHENTICATED", "invalid token: expected one subject and one audience");
        }
        const claims: TokenClaims = { identityId: payload.sub, poolId: payload.aud, expiresAt: payload.exp! * 1000, ...grantOf(payload) };
        if (key.kid !== undefined) verified.set(token, { kid: key.kid, claims: copyOf(claims) });
        return claims;
      } catch (error) {
        throw toUnauthenticated(error);
      }
    },
  };
}

/**
 * The key named by the token's `kid` among those that still verify, null when none is. A token
 * without a `kid` (none of ours) is tried against the current key, so it fails on its signature
 * like any forgery.
 */
function verifyingKey(keys: SigningKeySet, token: string): { publicKey: CryptoKey; kid: string | undefined } | null {
  let kid: string | undefined;
  try {
    ({ kid } = decodeProtectedHeader(token));
  } catch {
    throw new SyncpoolError("UNAUTHENTICATED", "invalid token: not a JWT", { reason: "INVALID_TOKEN" });
  }
  if (kid === undefined) return { publicKey: keys.current.publicKey, kid: undefined };
  const key = keys.all.find((candidate) => candidate.kid === kid);
  return key === undefined ? null : { publicKey: key.publicKey, kid: key.kid };
}

/** Claims no caller can change in the cache through the object it was handed. */
function copyOf(claims: TokenClaims): TokenClaims {
  return { ...claims, tags: { ...claims.tags }, ...(claims.groups === undefined ? {} : { groups: [...claims.groups] }) };
}

/** The grant claims of a verified payload (we signed them, so only their absence needs care). */
function grantOf(payload: Record<string, unknown>): TokenGrant {
  const tags = payload["tags"];
  return {
    role: typeof payload["role"] === "string" ? payload["role"] : null,
    tags: tags !== null && typeof tags === "object" && !Array.isArray(tags) ? (tags as Record<string, string>) : {},
    authenticated: Array.isArray(payload["amr"]) && payload["amr"].includes("authenticated"),
    ...(Array.isArray(payload["groups"]) ? { groups: payload["groups"].filter((group): group is string => typeof group === "string") } : {}),
  };
}

function toUnauthenticated(error: unknown): SyncpoolError {
  if (error instanceof SyncpoolError) return error;
  if (error instanceof joseErrors.JWTExpired) {
    return new SyncpoolError("UNAUTHENTICATED", "token expired: sign in again", { reason: "TOKEN_EXPIRED" });
  }
  if (error instanceof joseErrors.JOSEError) {
    // jose's messages name the failed check (signature, claim, algorithm) and never echo the token.
    return new SyncpoolError("UNAUTHENTICATED", `invalid token: ${error.message}`, { reason: "INVALID_TOKEN" });
  }
  throw error;
}
