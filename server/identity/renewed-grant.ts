/**
 * The grant of a renewal: a token of ours presented again (the AWS `cognito-identity.amazonaws.com`
 * login of GetOpenIdToken and GetCredentialsForIdentity) to get a fresh token or credentials.
 *
 * The presented token's own `role`/`tags` are never copied: that would let one token renew itself
 * forever with whatever the pool granted long ago, surviving role changes and unlinked logins.
 * The grant is resolved again from the pool as it is now (`resolve-grant.ts`) and from the logins
 * the identity holds now:
 *
 * - a guest's token (`amr: unauthenticated`): the guest grant, while the identity is still a guest
 *   and the pool still takes guests;
 * - a login's token: the identity's developer login if it has one, else its earliest linked login
 *   of a provider the pool still has. The claims are the ones the server knows (issuer, subject,
 *   and the pool as audience for a developer login): a role rule or principal tag that needs any
 *   other claim of the provider's token does not match, so such a role needs that token again.
 *
 * (The caller also caps the renewal's expiry at the presented token's.)
 */
import { SyncpoolError } from "../../core/errors.js";
import type { LinkedLogin } from "../storage/identity-store.js";
import type { PoolSettings } from "./pool-settings.js";
import { resolveGrant, type GrantingLogin } from "./resolve-grant.js";
import type { TokenGrant } from "./tokens.js";

/**
 * The grant a renewal of `presented` gets in `pool` for an identity holding `logins` now.
 * @throws SyncpoolError UNAUTHENTICATED when the identity no longer matches the token (a guest
 *   token of an identity that has logins, a login token of one whose logins are gone), or the
 *   pool no longer takes guests; FORBIDDEN when the pool's role rules deny the login.
 */
export function renewedGrant(pool: PoolSettings, presented: TokenGrant, logins: readonly LinkedLogin[]): TokenGrant {
  if (!presented.authenticated) {
    if (logins.length > 0) throw new SyncpoolError("UNAUTHENTICATED", "this identity has logins: present one of them, not a guest token", { reason: "LOGIN_REQUIRED" });
    if (!pool.allowGuests) throw new SyncpoolError("UNAUTHENTICATED", `identity pool "${pool.id}" no longer allows guest identities`);
    return resolveGrant(pool, null);
  }
  const login = grantingLogin(pool, logins);
  if (login === null) {
    throw new SyncpoolError("UNAUTHENTICATED", "none of this identity's logins belongs to a provider of the pool any more: sign in with a login", { reason: "LOGIN_REQUIRED" });
  }
  return resolveGrant(pool, login);
}

function grantingLogin(pool: PoolSettings, linked: readonly LinkedLogin[]): GrantingLogin | null {
  const logins = [...linked].sort((a, b) => a.linkedAt - b.linkedAt);
  const developer = pool.developerProvider ? logins.find((login) => login.provider === pool.developerProvider!.name) : undefined;
  // The claims GetOpenIdTokenForDeveloperIdentity resolves a developer login with.
  if (developer) return { providerName: developer.provider, claims: { iss: developer.provider, sub: developer.subject, aud: pool.id } };
  for (const login of logins) {
    const provider = pool.providers.find((candidate) => candidate.issuer === login.provider);
    if (provider) return { providerName: provider.name, claims: { iss: login.provider, sub: login.subject } };
  }
  return null;
}
