/**
 * The identity behind a login token sent to the model API: a syncpool user pool's access or ID
 * token (DataStore's `userPool` mode sends the access token), or a federated OIDC provider's ID
 * token (its `oidc` mode, whatever the app's token provider hands over), from a provider the
 * identity pool trusts. The caller is the identity the identity pool gives that login, found or
 * created exactly as a sign-in with it would (`resolveLoginIdentity`): the same user's items are
 * the same whether DataStore sends the login token or an app signs in and sends the identity
 * token.
 *
 * A token whose issuer is none of the pool's providers is not a login token of this pool (null):
 * the API answers it as no credential.
 */
import { decodeJwt, type JWTPayload } from "jose";
import { isSyncpoolError } from "../../core/errors.js";
import type { IdentityDeps } from "../identity/identity-deps.js";
import { resolveLoginIdentity } from "../identity/login-identity.js";
import { verifyOidcLogin } from "../identity/oidc-verifier.js";

/** A verified login token and the identity it reaches. */
export interface LoginTokenIdentity {
  identityId: string;
  /** The token's claims (`cognito:groups`, `cognito:username`, …) for the rules that read them. */
  claims: JWTPayload;
}

/** What resolving a login token needs. */
export interface LoginTokenDeps {
  identity: IdentityDeps;
  /** A user pool's access-token check (signature, expiry, revoked session, disabled user), or null for none. */
  verifyUserPoolAccessToken: (token: string) => Promise<JWTPayload | null>;
}

/** Resolves login tokens for identity pool `poolId`; see the module comment. */
export function createLoginTokenIdentity(deps: LoginTokenDeps): (token: string, poolId: string) => Promise<LoginTokenIdentity | null> {
  return async (token, poolId) => {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      return null;
    }
    const pool = await deps.identity.pools.get(poolId);
    const provider = pool?.providers.find((candidate) => candidate.issuer === unverified.iss);
    if (!pool || !provider) return null;
    let claims: JWTPayload;
    if (unverified["token_use"] === "access") {
      // A user pool's access token has no `aud`: its app client (`client_id`) must be one the identity pool trusts.
      const verified = await deps.verifyUserPoolAccessToken(token);
      if (verified === null || verified.iss !== provider.issuer || !provider.audiences.includes(String(verified["client_id"]))) return null;
      claims = verified;
    } else {
      try {
        claims = (await verifyOidcLogin(deps.identity, provider, token)).claims;
      } catch (error) {
        if (isSyncpoolError(error)) return null;
        throw error;
      }
    }
    if (typeof claims.sub !== "string" || claims.sub === "") return null;
    try {
      const { identityId } = await resolveLoginIdentity(deps.identity, pool, [{ provider: provider.issuer, subject: claims.sub }], null, { allowMerge: false });
      return { identityId, claims };
    } catch (error) {
      // A disabled identity, or a login caught between two identities: not a caller of this API.
      if (isSyncpoolError(error)) return null;
      throw error;
    }
  };
}
