/**
 * Which identity an unsigned Cognito Identity call (GetId, GetCredentialsForIdentity,
 * GetOpenIdToken, UnlinkIdentity) may act for, and with what grant. These calls carry no
 * signature: the `Logins` map is the proof.
 *
 * - OIDC logins: the identity holding them (created on first use by GetId). Named with an
 *   `IdentityId` that is a guest, a new login upgrades the guest in place and a login that already
 *   has an identity merges the guest into it, as Cognito does, when the guest is proven.
 * - A token of ours (`cognito-identity.amazonaws.com`): the identity it was issued for, with the
 *   grant resolved again from the pool and the identity's logins as they are now
 *   (`renewed-grant.ts`), and nothing issued that outlives the token.
 * - No login: a guest. With `awsGuestAccess: "secret"` (the default) the `syncpool.guest` entry
 *   must hold the guest's device secret; with `"open"` its id alone suffices, as in Cognito
 *   (weaker: anyone who learns a guest's id can act as it).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IdentityDeps } from "../identity/identity-deps.js";
import { resolveLoginIdentity } from "../identity/login-identity.js";
import type { PoolSettings } from "../identity/pool-settings.js";
import { renewedGrant } from "../identity/renewed-grant.js";
import { resolveGrant } from "../identity/resolve-grant.js";
import { hashDeviceSecret } from "../identity/sign-in.js";
import type { TokenGrant } from "../identity/tokens.js";
import type { LinkedLogin } from "../storage/identity-store.js";
import { AwsError } from "./aws-errors.js";
import type { AwsThrottle } from "./aws-throttle.js";
import { GUEST_SECRET_LOGIN, readLogins } from "./aws-logins.js";

/** An identity a call may act for. */
export interface IdentityAccess {
  identityId: string;
  pool: PoolSettings;
  grant: TokenGrant;
  /** Epoch ms that what is issued must not outlive: the presented token's expiry on a renewal, else null. */
  notAfterMs: number | null;
}

/**
 * The pool of an identity id, with its status checked, after taking from the address's bucket. A
 * disabled or merged identity looks like an unknown one unless `logins` prove it (its guest secret,
 * or a token of ours for it): naming an id must not tell a stranger whether it exists, was
 * disabled, or where it was merged.
 */
async function poolOfIdentity(
  deps: IdentityDeps,
  identityId: string,
  logins: Record<string, string>,
  throttle: AwsThrottle,
): Promise<{ pool: PoolSettings; logins: LinkedLogin[] }> {
  const status = await deps.storage.identities.getIdentityStatus(identityId);
  const pool = status ? await deps.pools.get(status.poolId) : null;
  throttle.address(pool);
  const notFound = new AwsError("ResourceNotFoundException", 400, `Identity '${identityId}' not found.`);
  if (!status || !pool) throw notFound;
  const linked = await deps.storage.identities.listLogins(identityId);
  if (status.disabledAt !== null) {
    const proven = await readLogins(deps, pool, logins).then(
      async (read) =>
        read.ownToken?.identityId === identityId ||
        (linked.length === 0 && read.guestSecret !== null && (await guestProof(deps, pool, identityId, read.guestSecret).catch(() => false))),
      () => false,
    );
    if (!proven) throw notFound;
    throw new AwsError("NotAuthorizedException", 400, status.mergedInto ? `Identity '${identityId}' was merged into ${status.mergedInto}.` : "Identity is disabled.");
  }
  return { pool, logins: linked };
}

/**
 * The identity `identityId` with `logins` may act as (for GetCredentialsForIdentity and friends),
 * after taking from the address's bucket (before any login is verified) and, once the caller is
 * proven, from the identity's.
 * @throws AwsError NotAuthorizedException, ResourceNotFoundException; SyncpoolError from merges,
 *   RATE_LIMITED.
 */
export async function accessIdentity(deps: IdentityDeps, identityId: string, logins: Record<string, string>, throttle: AwsThrottle): Promise<IdentityAccess> {
  const access = await resolveAccess(deps, identityId, logins, throttle);
  throttle.identity(access.pool, access.identityId);
  return access;
}

async function resolveAccess(deps: IdentityDeps, identityId: string, logins: Record<string, string>, throttle: AwsThrottle): Promise<IdentityAccess> {
  const { pool, logins: linked } = await poolOfIdentity(deps, identityId, logins, throttle);
  const hasLogins = linked.length > 0;
  const proven = await readLogins(deps, pool, logins);
  const guestProven = !hasLogins && (await guestProof(deps, pool, identityId, proven.guestSecret));

  if (proven.oidc.length > 0) {
    const resolved = await resolveLoginIdentity(
      deps,
      pool,
      proven.oidc.map((login) => login.key),
      // Only a proven guest may take a new login or be merged. An identity that has logins is reached
      // through one of them (the owner is then the named identity), never by naming its id alone.
      { id: identityId, proven: guestProven },
      { allowMerge: guestProven },
    );
    return { identityId: resolved.identityId, pool, grant: resolveGrant(pool, proven.oidc[0]!), notAfterMs: null };
  }
  if (proven.ownToken) {
    if (proven.ownToken.identityId !== identityId) throw new AwsError("NotAuthorizedException", 400, "Invalid login token. The token is for another identity.");
    // A renewal: the grant as the pool and the identity's logins decide it now, never the token's
    // own claims, and nothing issued from it outlives it, so one token cannot renew itself forever.
    return { identityId, pool, grant: renewedGrant(pool, proven.ownToken, linked), notAfterMs: proven.ownToken.expiresAt };
  }
  if (hasLogins) throw new AwsError("NotAuthorizedException", 400, "Logins don't match. Please include at least one valid login for this identity or identity pool.");
  if (!pool.allowGuests) throw new AwsError("NotAuthorizedException", 400, "Unauthenticated access is not supported for this identity pool.");
  if (!guestProven) {
    throw new AwsError("NotAuthorizedException", 400, `This identity pool requires the guest's device secret as the '${GUEST_SECRET_LOGIN}' login.`);
  }
  return { identityId, pool, grant: resolveGrant(pool, null), notAfterMs: null };
}

/** True when the guest is proven: its secret matches, or the pool is "open". */
async function guestProof(deps: IdentityDeps, pool: PoolSettings, identityId: string, secret: string | null): Promise<boolean> {
  if (secret !== null) {
    const identity = await deps.storage.pools.getIdentity(identityId);
    if (identity?.secretHash && sameText(hashDeviceSecret(secret), identity.secretHash)) return true;
    throw new AwsError("NotAuthorizedException", 400, "Invalid login token. The guest secret does not match.");
  }
  return pool.awsGuestAccess === "open";
}

function sameText(a: string, b: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(a), digest(b));
}
