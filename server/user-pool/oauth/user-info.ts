/**
 * `GET|POST /oauth2/userInfo`: the signed-in user's attributes for a bearer access token of this
 * pool that carries the `openid` scope (or `aws.cognito.signin.user.admin`), checked like the API
 * checks access tokens (`verifyAccessToken`: signature, expiry, revoked session, disabled user).
 * Values are strings, `email_verified` included, as Cognito's userInfo answers; `username` is added.
 */
import type { LoadedUserPool, UserPoolDeps } from "../user-pool-deps.js";
import { UserPoolError } from "../user-pool-errors.js";
import { ADMIN_SCOPE, verifyAccessToken } from "../user-pool-tokens.js";
import { OAuthError, oauthJson } from "./oauth-errors.js";
import { decodeJwt } from "jose";

/** The userInfo endpoint. @throws OAuthError invalid_token (401), invalid_request */
export async function userInfoEndpoint(deps: UserPoolDeps, pool: LoadedUserPool, request: Request): Promise<Response> {
  const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec((request.headers.get("authorization") ?? "").trim());
  if (match === null) throw new OAuthError("invalid_token", "Access token is missing");
  const token = match[1]!;
  let verified;
  try {
    verified = await verifyAccessToken(deps, token);
  } catch (error) {
    if (error instanceof UserPoolError) throw new OAuthError("invalid_token", error.message);
    throw error;
  }
  if (verified.pool !== pool) throw new OAuthError("invalid_token", "Invalid Access Token");
  const scopes = String(decodeJwt(token)["scope"] ?? "").split(" ");
  if (!scopes.includes("openid") && !scopes.includes(ADMIN_SCOPE)) throw new OAuthError("invalid_token", "Access token does not contain openid scope");
  const { user } = verified;
  return oauthJson({ sub: user.sub, ...user.attributes, username: user.username });
}
