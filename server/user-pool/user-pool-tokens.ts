/**
 * The tokens of a sign-in, with the claims Cognito puts in them: the ID token (`token_use: id`,
 * `aud` = client id, `cognito:username`, the user's attributes with custom ones as strings and
 * `email_verified` as a boolean), the access token (`token_use: access`, `client_id`, `username`,
 * `scope: aws.cognito.signin.user.admin`, no `aud`), both with `origin_jti` (the sign-in session)
 * and `auth_time`, and the user's groups as they are at issue (`group-claims.ts`), RS256 under the pool's key. The refresh token is opaque: 48 random bytes, stored
 * only as a keyed hash. Access tokens presented to the API are checked here, including whether
 * their session has been revoked.
 */
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { jwtVerify, type JWTPayload } from "jose";
import type { UserPoolSession, UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import type { LoadedClient, LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { visibleAttributes } from "./attribute-schema.js";
import { groupClaims } from "./group-claims.js";
import { UserPoolError } from "./user-pool-errors.js";
import { signUserPoolJwt, USER_POOL_TOKEN_ALGORITHM } from "./user-pool-keys.js";
import { preTokenGeneration, type TokenGenerationSource } from "./triggers/pre-token-generation.js";

/** Cognito's `AuthenticationResult`. */
export interface AuthenticationResult {
  AccessToken: string;
  IdToken: string;
  RefreshToken?: string;
  ExpiresIn: number;
  TokenType: "Bearer";
}

/** The scope of tokens from the API's own sign-in. */
export const ADMIN_SCOPE = "aws.cognito.signin.user.admin";

/** Attributes whose values are booleans in the ID token. */
const BOOLEAN_ATTRIBUTES = new Set(["email_verified", "phone_number_verified"]);

/** A new opaque refresh token. */
export const newRefreshToken = (): string => randomBytes(48).toString("base64url");

/** The stored form of a refresh token. */
export const refreshTokenHash = (deps: Pick<UserPoolDeps, "hashKey">, token: string): string =>
  createHmac("sha256", deps.hashKey).update(`refresh:${token}`).digest("hex");

/** What the hosted UI's code flow changes in the tokens: the granted scopes, and the authorize request's `nonce` in the ID token. */
export interface TokenGrant {
  scope: string;
  nonce?: string;
}

/**
 * Signs an ID and an access token for `user` in `session`, as the pool's pre token generation
 * trigger changes them; `grant` (the hosted UI) sets the scope and nonce.
 */
export async function issueTokens(
  deps: Pick<UserPoolDeps, "now" | "store" | "triggers" | "logger">,
  loaded: LoadedClient,
  user: UserPoolUserWithAttributes,
  session: UserPoolSession,
  source: TokenGenerationSource = "TokenGeneration_Authentication",
  grant: TokenGrant = { scope: ADMIN_SCOPE },
): Promise<AuthenticationResult> {
  const { pool, client } = loaded;
  const iat = Math.floor(deps.now() / 1000);
  const eventId = randomUUID();
  const groups = groupClaims(await deps.store.listUserGroups(pool.settings.id, user.sub));
  const idClaims: JWTPayload = { sub: user.sub, ...groups, ...idTokenAttributes(visibleAttributes(pool.settings, user.attributes)) };
  Object.assign(idClaims, {
    iss: pool.issuer,
    "cognito:username": user.username,
    origin_jti: session.originJti,
    aud: client.id,
    ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
    event_id: eventId,
    token_use: "id",
    auth_time: session.authTime,
    exp: iat + client.idTokenValiditySeconds,
    iat,
    jti: randomUUID(),
  });
  const accessClaims: JWTPayload = {
    sub: user.sub,
    ...(groups["cognito:groups"] === undefined ? {} : { "cognito:groups": groups["cognito:groups"] }),
    iss: pool.issuer,
    client_id: client.id,
    origin_jti: session.originJti,
    event_id: eventId,
    token_use: "access",
    scope: grant.scope,
    auth_time: session.authTime,
    exp: iat + client.accessTokenValiditySeconds,
    iat,
    jti: randomUUID(),
    username: user.username,
  };
  await preTokenGeneration(deps, loaded, user, source, idClaims, accessClaims, groups);
  const [IdToken, AccessToken] = await Promise.all([signUserPoolJwt(pool.key, idClaims), signUserPoolJwt(pool.key, accessClaims)]);
  return { AccessToken, IdToken, ExpiresIn: client.accessTokenValiditySeconds, TokenType: "Bearer" };
}

function idTokenAttributes(attributes: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, BOOLEAN_ATTRIBUTES.has(name) ? value === "true" : value]));
}

/** A verified access token: its user and session. */
export interface VerifiedAccess {
  pool: LoadedUserPool;
  user: UserPoolUserWithAttributes;
  session: UserPoolSession;
}

/**
 * Checks an access token presented to the API: signature and issuer of one of the pools, not
 * expired, `token_use: access`, its session not revoked, its user present and enabled.
 * @throws UserPoolError NotAuthorizedException with Cognito's messages.
 */
export async function verifyAccessToken(deps: UserPoolDeps, token: unknown): Promise<VerifiedAccess> {
  if (typeof token !== "string" || token.length === 0) throw new UserPoolError("InvalidParameterException", "1 validation error detected: Value at 'accessToken' failed to satisfy constraint: Member must not be null");
  const invalid = () => new UserPoolError("NotAuthorizedException", "Invalid Access Token");
  let payload: JWTPayload | undefined;
  let pool: LoadedUserPool | undefined;
  for (const candidate of deps.pools.values()) {
    // Outside the try: a key that cannot be loaded (the database down) is an error, not an invalid token.
    const { publicKey } = await candidate.key.get();
    try {
      ({ payload } = await jwtVerify(token, publicKey, { algorithms: [USER_POOL_TOKEN_ALGORITHM], issuer: candidate.issuer, currentDate: new Date(deps.now()) }));
      pool = candidate;
      break;
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_JWT_EXPIRED") throw new UserPoolError("NotAuthorizedException", "Access Token has expired");
    }
  }
  if (payload === undefined || pool === undefined || payload["token_use"] !== "access" || typeof payload["origin_jti"] !== "string" || typeof payload.sub !== "string") throw invalid();
  const session = await deps.store.getSession(payload["origin_jti"]);
  if (session === null || session.revokedAt !== null) throw new UserPoolError("NotAuthorizedException", "Access Token has been revoked");
  const user = await deps.store.getUserBySub(pool.settings.id, payload.sub);
  if (user === null) throw new UserPoolError("NotAuthorizedException", "Access Token has been revoked");
  if (!user.enabled) throw new UserPoolError("NotAuthorizedException", "User is disabled.");
  return { pool, user, session };
}
