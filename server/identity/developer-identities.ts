/**
 * Developer-authenticated identities (Cognito's GetOpenIdTokenForDeveloperIdentity): the app's own
 * backend, holding the pool's developer key, asks for a token for one of its users and hands it
 * to the app. The user's identity is linked to the login (developer provider name, user id) and
 * created on first use. Naming an `identityId` (the guest the app was using before the user signed
 * in) upgrades that identity in place when the user has none yet, or merges it into the user's
 * identity when they have: the backend holds the developer key, so its word proves the guest.
 *
 * The key travels as `Authorization: Bearer <developer key>` and is compared in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { SyncpoolError } from "../../core/errors.js";
import type { IdentityDeps, Session } from "./identity-deps.js";
import { issueSession } from "./issue-session.js";
import { resolveLoginIdentity } from "./login-identity.js";

/** What the backend asks for (bounded by the GraphQL layer). */
export interface DeveloperIdentityInput {
  identityPoolId: string;
  developerUserId: string;
  identityId?: string | null;
}

/**
 * A session for the identity of `developerUserId`; `developerKey` is the bearer token sent.
 * @throws SyncpoolError NOT_FOUND (no such pool), FORBIDDEN (the pool has no developer provider),
 *   UNAUTHENTICATED (a missing or wrong key; an `identityId` not in the pool or disabled),
 *   LIMIT_EXCEEDED (the merge would break the target's limits).
 */
export async function getTokenForDeveloperIdentity(deps: IdentityDeps, input: DeveloperIdentityInput, developerKey: string | null): Promise<Session> {
  const pool = await deps.pools.get(input.identityPoolId);
  if (!pool) throw new SyncpoolError("NOT_FOUND", `identity pool "${input.identityPoolId}" not found`, { field: "identityPoolId" });
  const provider = pool.developerProvider;
  if (!provider) {
    throw new SyncpoolError("FORBIDDEN", `identity pool "${pool.id}" has no developer provider`, { field: "identityPoolId" });
  }
  if (developerKey === null || !sameSecret(developerKey, provider.key)) {
    throw new SyncpoolError("UNAUTHENTICATED", "send the pool's developer key as 'Authorization: Bearer <developer key>'");
  }
  const login = { provider: provider.name, subject: input.developerUserId };
  const claimed = input.identityId ? { id: input.identityId, proven: true } : null;
  const resolved = await resolveLoginIdentity(deps, pool, [login], claimed, { allowMerge: true });
  const claims = { iss: provider.name, sub: input.developerUserId, aud: pool.id };
  return issueSession(deps, pool, resolved.identityId, { providerName: provider.name, claims }, { mergedIdentityIds: resolved.mergedIdentityIds });
}

// Digests have one length, so comparing them in constant time works for keys of any length.
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}
