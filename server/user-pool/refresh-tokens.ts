/**
 * Refresh tokens: GetTokensFromRefreshToken and InitiateAuth REFRESH_TOKEN_AUTH issue new ID and
 * access tokens for the token's session; with the client's rotation on, each refresh also returns
 * a new refresh token and the presented one stops working (after the client's grace period).
 * Presenting a replaced token again is theft or a bug: the whole session is revoked
 * (RefreshTokenReuseException). The new access token carries the session's scopes: those the hosted
 * UI's code granted, or the API's own. RevokeToken ends a session by its refresh token.
 */
import { timingSafeEqual } from "node:crypto";
import type { LoadedClient, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { clientOf, requiredString, type Body } from "./user-pool-input.js";
import { ADMIN_SCOPE, issueTokens, newRefreshToken, refreshTokenHash, type AuthenticationResult } from "./user-pool-tokens.js";

/** New tokens for `refreshToken`. @throws NotAuthorizedException, RefreshTokenReuseException */
export async function refreshSession(deps: UserPoolDeps, loaded: LoadedClient, refreshToken: string): Promise<AuthenticationResult> {
  return (await refreshSessionGrant(deps, loaded, refreshToken)).tokens;
}

/** `refreshSession`, with the scopes the new access token carries (space separated). */
export async function refreshSessionGrant(deps: UserPoolDeps, loaded: LoadedClient, refreshToken: string): Promise<{ tokens: AuthenticationResult; scope: string }> {
  const { client } = loaded;
  const now = deps.now();
  const next = client.refreshTokenRotation ? newRefreshToken() : null;
  // Without rotation a token stays good until it expires: an endless grace.
  const graceMs = client.refreshTokenRotation ? client.retryGracePeriodSeconds * 1000 : Number.POSITIVE_INFINITY;
  const use = await deps.store.useRefreshToken(refreshTokenHash(deps, refreshToken), next === null ? null : refreshTokenHash(deps, next), now, graceMs);
  if (use.outcome === "unknown" || use.session.clientId !== client.id) throw new UserPoolError("NotAuthorizedException", "Invalid Refresh Token");
  if (use.outcome === "reused") {
    deps.logger.warn({ poolId: use.session.poolId, sub: use.session.sub, originJti: use.session.originJti }, "a replaced refresh token was presented again: its session is revoked");
    const owner = await deps.store.getUserBySub(use.session.poolId, use.session.sub);
    if (owner !== null) await deps.audit.record(owner, { type: "TokenReuse", response: "Fail", apiName: "RefreshToken", errorType: "RefreshTokenReuseException" });
    throw new UserPoolError("RefreshTokenReuseException", "Refresh token has been reused; the session is revoked.");
  }
  if (use.session.revokedAt !== null) throw new UserPoolError("NotAuthorizedException", "Refresh Token has been revoked");
  if (use.session.expiresAt <= now) throw new UserPoolError("NotAuthorizedException", "Refresh Token has expired");
  const user = await deps.store.getUserBySub(use.session.poolId, use.session.sub);
  if (user === null) throw new UserPoolError("NotAuthorizedException", "Refresh Token has been revoked");
  if (!user.enabled) throw new UserPoolError("NotAuthorizedException", "User is disabled.");
  const scope = use.session.scope ?? ADMIN_SCOPE;
  const tokens = await issueTokens(deps, loaded, user, use.session, "TokenGeneration_RefreshTokens", { scope });
  return { tokens: next === null ? tokens : { ...tokens, RefreshToken: next }, scope };
}

/** The client of a call that proves itself with `ClientSecret` (not SECRET_HASH). */
function clientWithSecret(deps: UserPoolDeps, body: Body): LoadedClient {
  const clientId = requiredString(body, "ClientId", 128);
  const loaded = deps.clients.get(clientId);
  if (!loaded) throw new UserPoolError("ResourceNotFoundException", `User pool client ${clientId} does not exist.`);
  const secret = loaded.client.secret;
  if (secret !== undefined) {
    const given = Buffer.from(typeof body["ClientSecret"] === "string" ? body["ClientSecret"] : "");
    const expected = Buffer.from(secret);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new UserPoolError("NotAuthorizedException", `Unable to verify secret for client ${clientId}`);
  }
  return loaded;
}

/** GetTokensFromRefreshToken. */
export async function getTokensFromRefreshToken(deps: UserPoolDeps, body: Body) {
  const loaded = clientWithSecret(deps, body);
  return { AuthenticationResult: await refreshSession(deps, loaded, requiredString(body, "RefreshToken", 4096)) };
}

/** RevokeToken: ends the refresh token's session (its refresh tokens and the access tokens it issued). */
export async function revokeToken(deps: UserPoolDeps, body: Body) {
  const loaded = clientWithSecret(deps, body);
  const token = requiredString(body, "Token", 4096);
  // Marks the token used within an endless grace (never a reuse), only to find its session.
  const use = await deps.store.useRefreshToken(refreshTokenHash(deps, token), null, deps.now(), Number.POSITIVE_INFINITY);
  if (use.outcome !== "unknown") {
    if (use.session.clientId !== loaded.client.id) throw new UserPoolError("UnsupportedTokenTypeException", "The token was not issued to this client.");
    await deps.store.revokeSession(use.session.originJti, deps.now());
  }
  return {};
}

/** The client of an InitiateAuth body (its SECRET_HASH is among the AuthParameters). */
export const authClientOf = (deps: UserPoolDeps, body: Body, parameters: Record<string, unknown>, username: string | null) =>
  clientOf(deps, body, username, parameters["SECRET_HASH"]);
