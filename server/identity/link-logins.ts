/**
 * `linkLogin` / `unlinkLogin`: an identity adds a second provider, or drops one. Linking a login
 * that belongs to another identity is refused (CONFLICT, `reason: LOGIN_LINKED_ELSEWHERE`) unless
 * the caller asks to merge, in which case the caller's identity merges into the login's, exactly
 * like a guest signing in with that login, and the answer is a session for the login's identity.
 * Both need fresh proof beside the caller's token (`prove-identity.ts`).
 */
import { SyncpoolError } from "../../core/errors.js";
import type { IdentityStatus, IdentitySummary } from "../storage/identity-store.js";
import type { IdentityDeps, Session } from "./identity-deps.js";
import { issueSession } from "./issue-session.js";
import { proveIdentity, type IdentityProof } from "./prove-identity.js";
import { resolveLoginIdentity } from "./login-identity.js";
import type { PoolSettings } from "./pool-settings.js";
import { findProvider, verifyLogins, type LoginInput } from "./verify-logins.js";

/** The identity a request acts for (from its token). */
export interface IdentityRef {
  identityId: string;
  poolId: string;
}

/**
 * Links `login` to the caller's identity and answers a fresh session (the token now carries the
 * login's role and tags); with `merge`, a login of another identity merges the caller into it.
 * @throws SyncpoolError CONFLICT (linked elsewhere, no merge), UNAUTHENTICATED (no or wrong `proof`;
 *   the token of the login does not verify), BAD_USER_INPUT (unknown provider), LIMIT_EXCEEDED
 *   (merge refused).
 */
export async function linkLogin(deps: IdentityDeps, caller: IdentityRef, login: LoginInput, merge: boolean, proof: IdentityProof | null): Promise<Session> {
  const pool = await poolOf(deps, caller);
  await proveIdentity(deps, pool, caller.identityId, proof);
  const [verified] = await verifyLogins(deps, pool, [login]);
  const resolved = await resolveLoginIdentity(deps, pool, [verified!.key], { id: caller.identityId, proven: true }, { allowMerge: merge });
  return issueSession(deps, pool, resolved.identityId, verified!, { mergedIdentityIds: resolved.mergedIdentityIds });
}

/**
 * Unlinks the caller's logins of `provider` (a provider name or issuer host, or the developer
 * provider's name) and answers the identity as it is now.
 * @throws SyncpoolError UNAUTHENTICATED (no or wrong `proof`), FORBIDDEN (`reason: LAST_LOGIN`)
 *   when nothing could sign the identity in afterwards (no device secret, no other login),
 *   BAD_USER_INPUT (unknown provider).
 */
export async function unlinkLogin(deps: IdentityDeps, caller: IdentityRef, provider: string, proof: IdentityProof | null): Promise<IdentitySummary> {
  const pool = await poolOf(deps, caller);
  await proveIdentity(deps, pool, caller.identityId, proof);
  return unlinkProvenLogin(deps, caller, provider);
}

/**
 * `unlinkLogin` for a caller already proven by other means (the AWS endpoints check the `Logins`
 * map of every call).
 */
export async function unlinkProvenLogin(deps: IdentityDeps, caller: IdentityRef, provider: string): Promise<IdentitySummary> {
  const pool = await poolOf(deps, caller);
  const key = pool.developerProvider?.name === provider ? provider : findProvider(pool, provider).issuer;
  const status = (await deps.storage.identities.getIdentityStatus(caller.identityId))!;
  const logins = await deps.storage.identities.listLogins(caller.identityId);
  if (!status.hasSecret && logins.length > 0 && logins.every((linked) => linked.provider === key)) {
    throw new SyncpoolError("FORBIDDEN", "this is the identity's only way to sign in: link another login first", {
      reason: "LAST_LOGIN",
      provider,
    });
  }
  await deps.storage.identities.unlinkLogins(caller.identityId, key);
  return describeIdentity(deps, status);
}

/** An identity with its logins, as `unlinkLogin` and the admin API answer it. */
export async function describeIdentity(deps: Pick<IdentityDeps, "storage">, status: IdentityStatus): Promise<IdentitySummary> {
  const identity = await deps.storage.pools.getIdentity(status.id);
  return { ...status, createdAt: identity?.createdAt ?? 0, logins: await deps.storage.identities.listLogins(status.id) };
}

async function poolOf(deps: IdentityDeps, caller: IdentityRef): Promise<PoolSettings> {
  const pool = await deps.pools.get(caller.poolId);
  if (!pool) throw new SyncpoolError("UNAUTHENTICATED", "invalid token: its identity pool does not exist");
  return pool;
}
