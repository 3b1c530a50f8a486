/**
 * `POST /oauth2/token` and `POST /oauth2/revoke`. The three grants Cognito's token endpoint takes:
 * - `authorization_code`: the hosted UI's code (`authorization-code.ts`), checked against the
 *   client, `redirect_uri` and PKCE verifier; answers the pool's own tokens for the code's session
 *   (`issueTokens`, with the granted scopes and the nonce) and its first refresh token, which lives
 *   in the pool's refresh-token store, so GlobalSignOut, RevokeToken and the SDK's refresh all work
 *   on it. No `id_token` without the `openid` scope.
 * - `refresh_token`: the API's own refresh (`refreshSession`), rotation and reuse detection included;
 *   the access token keeps the scopes the code granted (stored on the session when it is redeemed),
 *   and there is no `id_token` when they lack `openid`.
 * - `client_credentials`: `client-credentials.ts`.
 * Revocation ends the refresh token's session, as RevokeToken does.
 */
import { refreshSessionGrant } from "../refresh-tokens.js";
import type { LoadedUserPool, UserPoolDeps } from "../user-pool-deps.js";
import { UserPoolError } from "../user-pool-errors.js";
import { issueTokens, refreshTokenHash, type AuthenticationResult } from "../user-pool-tokens.js";
import { redeemCode } from "./authorization-code.js";
import { authenticateClient, readForm } from "./client-auth.js";
import { issueClientCredentials } from "./client-credentials.js";
import { OAuthError, oauthJson } from "./oauth-errors.js";

const asOAuthAnswer = (result: AuthenticationResult, withIdToken: boolean) => ({
  ...(withIdToken ? { id_token: result.IdToken } : {}),
  access_token: result.AccessToken,
  ...(result.RefreshToken === undefined ? {} : { refresh_token: result.RefreshToken }),
  expires_in: result.ExpiresIn,
  token_type: "Bearer",
});

/** The token endpoint. @throws OAuthError */
export async function tokenEndpoint(deps: UserPoolDeps, pool: LoadedUserPool, request: Request): Promise<Response> {
  const form = await readForm(request);
  const grantType = form.get("grant_type");
  if (grantType === null) throw new OAuthError("invalid_request", "grant_type is required.");
  if (!["authorization_code", "refresh_token", "client_credentials"].includes(grantType)) throw new OAuthError("unsupported_grant_type", "grant_type must be authorization_code, refresh_token or client_credentials.");
  const loaded = authenticateClient(deps, pool, request, form);
  if (grantType === "client_credentials") return oauthJson(await issueClientCredentials(deps, loaded, form.get("scope")));
  if (grantType === "refresh_token") {
    const token = form.get("refresh_token");
    if (token === null || token.length > 4096) throw new OAuthError("invalid_request", "refresh_token is required.");
    try {
      const { tokens, scope } = await refreshSessionGrant(deps, loaded, token);
      return oauthJson(asOAuthAnswer(tokens, scope.split(" ").includes("openid")));
    } catch (error) {
      if (error instanceof UserPoolError && error.type !== "InternalErrorException") throw new OAuthError("invalid_grant", error.message);
      throw error;
    }
  }
  if (!loaded.client.allowedOAuthFlows.includes("code")) throw new OAuthError("unauthorized_client", "The app client may not use the code flow.");
  const code = form.get("code");
  if (code === null) throw new OAuthError("invalid_request", "code is required.");
  const redeemed = await redeemCode(deps, loaded, code, form.get("redirect_uri"), form.get("code_verifier"));
  const session = await deps.store.getSession(redeemed.originJti);
  const user = session === null || session.revokedAt !== null ? null : await deps.store.getUserBySub(pool.settings.id, redeemed.sub);
  if (session === null || user === null || !user.enabled) throw new OAuthError("invalid_grant", "The authorization code's sign-in has ended.");
  // Before any token: the session's refresh tokens issue access tokens with these scopes from now on.
  const scope = redeemed.scopes.join(" ");
  await deps.store.grantSessionScope(session.originJti, scope);
  let tokens;
  try {
    tokens = await issueTokens(deps, loaded, user, session, "TokenGeneration_HostedAuth", { scope, ...(redeemed.nonce === null ? {} : { nonce: redeemed.nonce }) });
  } catch (error) {
    // The pool's pre token generation trigger refused or failed: an OAuth answer naming Cognito's exception, not a 500.
    if (error instanceof UserPoolError && error.type !== "InternalErrorException") throw new OAuthError("invalid_request", `${error.type}: ${error.message}`);
    throw error;
  }
  return oauthJson(asOAuthAnswer({ ...tokens, RefreshToken: redeemed.refreshToken }, redeemed.scopes.includes("openid")));
}

/** The revocation endpoint (RFC 7009): 200 for a revoked or unknown token alike. @throws OAuthError */
export async function revokeEndpoint(deps: UserPoolDeps, pool: LoadedUserPool, request: Request): Promise<Response> {
  const form = await readForm(request);
  const loaded = authenticateClient(deps, pool, request, form);
  const token = form.get("token");
  if (token === null || token.length > 4096) throw new OAuthError("invalid_request", "token is required.");
  const hint = form.get("token_type_hint");
  if (hint !== null && hint !== "refresh_token") throw new OAuthError("unsupported_token_type", "Only refresh tokens can be revoked.");
  const use = await deps.store.useRefreshToken(refreshTokenHash(deps, token), null, deps.now(), Number.POSITIVE_INFINITY);
  if (use.outcome !== "unknown") {
    if (use.session.clientId !== loaded.client.id) throw new OAuthError("unsupported_token_type", "The token was not issued to this client.");
    await deps.store.revokeSession(use.session.originJti, deps.now());
  }
  return oauthJson({});
}
