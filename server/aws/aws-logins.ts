/**
 * A Cognito `Logins` map (`{"<provider>": "<token>"}`) read against a pool. Keys are as Cognito
 * names providers: a provider's configured name, its issuer without the scheme
 * (`cognito-idp.us-east-1.amazonaws.com/us-east-1_abc`), or its issuer's host
 * (`accounts.google.com`); `cognito-identity.amazonaws.com` carries a token this server issued
 * (GetOpenIdToken, GetOpenIdTokenForDeveloperIdentity); `syncpool.guest` carries a guest's device
 * secret, which Cognito never had (see `awsGuestAccess`).
 */
import type { IdentityDeps } from "../identity/identity-deps.js";
import { verifyOidcLogin, type VerifiedLogin } from "../identity/oidc-verifier.js";
import type { PoolSettings, ProviderSettings } from "../identity/pool-settings.js";
import type { TokenClaims } from "../identity/tokens.js";
import { AwsError } from "./aws-errors.js";

/** The `Logins` key of a guest's device secret. */
export const GUEST_SECRET_LOGIN = "syncpool.guest";
/** The `Logins` key of a token this server issued (as Cognito's own OpenID tokens). */
export const COGNITO_TOKEN_LOGIN = "cognito-identity.amazonaws.com";

/** What a `Logins` map proved. */
export interface AwsLogins {
  /** Verified OIDC logins, in the map's order. */
  oidc: VerifiedLogin[];
  /** The `syncpool.guest` entry, unverified (it is checked against the identity's hash). */
  guestSecret: string | null;
  /** A verified token of ours, for this pool. */
  ownToken: TokenClaims | null;
}

/**
 * Verifies each entry of `logins` for `pool`.
 * @throws AwsError NotAuthorizedException for an unknown provider or a token that does not verify.
 */
export async function readLogins(deps: IdentityDeps, pool: PoolSettings, logins: Record<string, string>): Promise<AwsLogins> {
  const result: AwsLogins = { oidc: [], guestSecret: null, ownToken: null };
  for (const [key, token] of Object.entries(logins)) {
    if (key === GUEST_SECRET_LOGIN) {
      result.guestSecret = token;
    } else if (key === COGNITO_TOKEN_LOGIN) {
      result.ownToken = await deps.tokens.verify(token, pool.id);
    } else if (key === pool.developerProvider?.name) {
      throw new AwsError("NotAuthorizedException", 400, `Developer logins go through GetOpenIdTokenForDeveloperIdentity; pass its token as '${COGNITO_TOKEN_LOGIN}'.`);
    } else {
      result.oidc.push(await verifyOidcLogin(deps, providerFor(pool, key), token));
    }
  }
  return result;
}

/**
 * The pool's provider a `Logins` key names.
 * @throws AwsError NotAuthorizedException when none or several match.
 */
export function providerFor(pool: PoolSettings, key: string): ProviderSettings {
  const byName = pool.providers.find((provider) => provider.name === key);
  if (byName) return byName;
  const matches = pool.providers.filter((provider) => loginKeyOf(provider.issuer) === key || new URL(provider.issuer).host === key);
  if (matches.length !== 1) throw new AwsError("NotAuthorizedException", 400, `Invalid login token. Unknown or ambiguous login provider '${key}' for identity pool ${pool.id}.`);
  return matches[0]!;
}

/** How Cognito names a provider of an issuer: the issuer without scheme and trailing slash. */
export function loginKeyOf(issuer: string): string {
  return issuer.replace(/^https?:\/\//, "").replace(/\/$/, "");
}
