/**
 * The `logins` of a sign-in or `linkLogin`, checked: each names one of the pool's OIDC providers
 * (by its configured name, or by its issuer's host when that is unambiguous) and carries a token
 * that provider signed (`oidc-verifier.ts`). Developer-provider logins do not come this way: the
 * app's backend calls `getTokenForDeveloperIdentity` with the developer key instead.
 */
import { SyncpoolError } from "../../core/errors.js";
import type { IdentityDeps } from "./identity-deps.js";
import { verifyOidcLogin, type VerifiedLogin } from "./oidc-verifier.js";
import type { PoolSettings, ProviderSettings } from "./pool-settings.js";

/** A login as a client sends it. */
export interface LoginInput {
  provider: string;
  token: string;
}

/**
 * Verifies every login; the same login given twice counts once.
 * @throws SyncpoolError BAD_USER_INPUT (an unknown or ambiguous provider, a developer login),
 *   UNAUTHENTICATED (a token that does not verify; see `verifyOidcLogin`).
 */
export async function verifyLogins(deps: Pick<IdentityDeps, "jwks" | "now">, pool: PoolSettings, logins: readonly LoginInput[]): Promise<VerifiedLogin[]> {
  const providers = logins.map((login) => findProvider(pool, login.provider));
  const verified = await Promise.all(logins.map((login, index) => verifyOidcLogin(deps, providers[index]!, login.token)));
  const seen = new Set<string>();
  return verified.filter((login) => {
    const key = JSON.stringify([login.key.provider, login.key.subject]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The pool's provider a login names: by name first, else by issuer host. */
export function findProvider(pool: PoolSettings, name: string): ProviderSettings {
  const byName = pool.providers.find((provider) => provider.name === name);
  if (byName) return byName;
  if (pool.developerProvider?.name === name) {
    throw new SyncpoolError("BAD_USER_INPUT", `"${name}" is the developer provider: your backend gets tokens with getTokenForDeveloperIdentity`, {
      field: "logins",
      provider: name,
    });
  }
  const byHost = pool.providers.filter((provider) => new URL(provider.issuer).host === name);
  if (byHost.length > 1) {
    throw new SyncpoolError("BAD_USER_INPUT", `login provider "${name}" matches several providers of identity pool "${pool.id}": use its name`, {
      field: "logins",
      provider: name,
    });
  }
  if (byHost.length === 0) {
    throw new SyncpoolError("BAD_USER_INPUT", `unknown login provider "${name}" for identity pool "${pool.id}"`, { field: "logins", provider: name });
  }
  return byHost[0]!;
}
