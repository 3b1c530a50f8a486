/**
 * Ends every successful sign-in: resolves what the token grants (`resolve-grant.ts`) and signs it.
 */
import type { IdentityDeps, Session } from "./identity-deps.js";
import type { PoolSettings } from "./pool-settings.js";
import { resolveGrant, type GrantingLogin } from "./resolve-grant.js";

/**
 * A session for `identityId`: a token with the role and tags that `login` (null for a guest) is
 * granted in `pool`.
 * @throws SyncpoolError FORBIDDEN when the pool's role rules deny the login.
 */
export async function issueSession(
  deps: Pick<IdentityDeps, "tokens">,
  pool: PoolSettings,
  identityId: string,
  login: GrantingLogin | null,
  extra: { deviceSecret?: string | null; mergedIdentityIds?: string[] } = {},
): Promise<Session> {
  const grant = resolveGrant(pool, login);
  const issued = await deps.tokens.issue(identityId, pool.id, grant);
  return {
    identityId,
    ...issued,
    deviceSecret: extra.deviceSecret ?? null,
    mergedIdentityIds: extra.mergedIdentityIds ?? [],
    limits: pool.limits,
  };
}
