/**
 * The `client_credentials` grant: a confidential client (machine to machine) gets an access token
 * for its resource-server scopes, with no user: Cognito's claims (`sub` and `client_id` are the
 * client, `token_use: access`, `scope`, `version: 2`), signed with the pool's key under its issuer,
 * so resource servers verify it like the pool's other access tokens. No refresh token, no ID token.
 */
import { randomUUID } from "node:crypto";
import type { JWTPayload } from "jose";
import { clientCredentialsTokenGeneration } from "../triggers/pre-token-generation.js";
import { UserPoolError } from "../user-pool-errors.js";
import type { LoadedClient, UserPoolDeps } from "../user-pool-deps.js";
import { signUserPoolJwt } from "../user-pool-keys.js";
import { OAuthError } from "./oauth-errors.js";
import { USER_SCOPES } from "./oauth-settings.js";

const isUserScope = (scope: string) => (USER_SCOPES as readonly string[]).includes(scope);

/** The token answer for `loaded` asking `asked` (null: all its resource-server scopes). @throws OAuthError */
export async function issueClientCredentials(deps: UserPoolDeps, loaded: LoadedClient, asked: string | null) {
  const { pool, client } = loaded;
  if (client.secret === undefined || !client.allowedOAuthFlows.includes("client_credentials")) throw new OAuthError("unauthorized_client", "The app client may not use client_credentials.");
  const allowed = client.allowedOAuthScopes.filter((scope) => !isUserScope(scope));
  const scopes = asked === null ? allowed : [...new Set(asked.split(" ").filter((scope) => scope !== ""))];
  if (scopes.length === 0 || scopes.some((scope) => !allowed.includes(scope))) throw new OAuthError("invalid_scope", "A requested scope is not a resource-server scope allowed for this app client.");
  const iat = Math.floor(deps.now() / 1000);
  const claims: JWTPayload = {
    sub: client.id,
    token_use: "access",
    scope: scopes.join(" "),
    auth_time: iat,
    iss: pool.issuer,
    exp: iat + client.accessTokenValiditySeconds,
    iat,
    version: 2,
    jti: randomUUID(),
    client_id: client.id,
  };
  try {
    await clientCredentialsTokenGeneration(deps, loaded, claims);
  } catch (error) {
    // The pool's V3_0 pre token generation trigger refused or failed: no token, and an OAuth answer rather than a 500.
    if (error instanceof UserPoolError) throw new OAuthError("invalid_request", `${error.type}: ${error.message}`);
    throw error;
  }
  const accessToken = await signUserPoolJwt(pool.key, claims);
  return { access_token: accessToken, expires_in: client.accessTokenValiditySeconds, token_type: "Bearer" };
}
