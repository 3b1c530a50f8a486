/**
 * Fresh proof for changes to an identity's logins (`linkLogin`, `unlinkLogin`). A session token
 * is a bearer credential that may have leaked (a log, a proxy, a stolen device's storage); alone
 * it must not let anyone attach their own login to the identity (and so own it for good) or strip
 * the owner's logins. The caller proves, beside its token, that it is the identity's owner now:
 *
 * - `deviceSecret`: the guest's device secret, while the identity has no login (after the first
 *   login is linked the secret is cleared and proves nothing);
 * - `login`: an ID token of one of the pool's OIDC providers for a login the identity holds;
 * - `developerKey`: the pool's developer key, for the app's backend acting for one of its users.
 *
 * A missing or non-matching proof answers the same UNAUTHENTICATED (`reason: PROOF_REQUIRED`), so a
 * token holder learns nothing about which proof would work. A login token that does not verify at
 * all is refused with its own reason (`INVALID_LOGIN`, `LOGIN_EXPIRED`...), which says something
 * about that token only.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { SyncpoolError } from "../../core/errors.js";
import type { IdentityDeps } from "./identity-deps.js";
import type { PoolSettings } from "./pool-settings.js";
import { hashDeviceSecret } from "./sign-in.js";
import { verifyLogins, type LoginInput } from "./verify-logins.js";

/** What a caller may send as proof; exactly one field is needed. */
export interface IdentityProof {
  deviceSecret?: string | null;
  login?: LoginInput | null;
  developerKey?: string | null;
}

/**
 * Resolves when `proof` shows the caller owns `identityId` in `pool`.
 * @throws SyncpoolError UNAUTHENTICATED (`reason: PROOF_REQUIRED`) when it is missing or does not
 *   prove the identity.
 */
export async function proveIdentity(deps: IdentityDeps, pool: PoolSettings, identityId: string, proof: IdentityProof | null): Promise<void> {
  if (proof && (await proves(deps, pool, identityId, proof))) return;
  throw new SyncpoolError(
    "UNAUTHENTICATED",
    "changing an identity's logins needs fresh proof besides the token: proof: {deviceSecret} for a guest, {login} with a login the identity holds, or {developerKey} from the app's backend",
    { reason: "PROOF_REQUIRED", field: "proof" },
  );
}

async function proves(deps: IdentityDeps, pool: PoolSettings, identityId: string, proof: IdentityProof): Promise<boolean> {
  const logins = await deps.storage.identities.listLogins(identityId);
  if (proof.deviceSecret) {
    const identity = await deps.storage.pools.getIdentity(identityId);
    return logins.length === 0 && identity?.secretHash != null && sameText(hashDeviceSecret(proof.deviceSecret), identity.secretHash);
  }
  if (proof.login) {
    // A token that does not verify is refused with its own reason (expired, bad signature...).
    const [verified] = await verifyLogins(deps, pool, [proof.login]);
    return logins.some((linked) => linked.provider === verified!.key.provider && linked.subject === verified!.key.subject);
  }
  if (proof.developerKey) return pool.developerProvider !== undefined && sameText(proof.developerKey, pool.developerProvider.key);
  return false;
}

// Digests have one length, so comparing them in constant time works for inputs of any length.
function sameText(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}
