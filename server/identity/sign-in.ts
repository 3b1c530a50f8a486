/**
 * Sign-in: creates guest identities, signs returning ones in, and signs in with logins from the
 * pool's OIDC providers, answering a short-lived token.
 *
 * A guest proves who it is with the device secret it was given at creation; without it nobody
 * can act as that guest (Cognito let anyone holding a guest id get its credentials; we do not).
 * A device secret is proof only while its identity has no login: linking the first login clears the
 * stored secret (in the same transaction), so a secret copied from an upgraded guest's device can
 * neither sign in nor link or merge anything. Identities upgraded before that rule may still hold
 * a hash, so the check below also refuses a secret of any identity that has a login.
 *
 * Failed checks all answer alike (`GUEST_REFUSED`): whether the identity exists, is disabled or was
 * merged is told only to a caller whose secret matched.
 *
 * With logins (`login-identity.ts`): the login's identity, created on first use; a guest naming
 * itself (id + secret) is upgraded in place when the login is new, or merged into the login's
 * identity when the login already has one (`Session.mergedIdentityIds` says so). The first login
 * decides the token's role and principal tags.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { SyncpoolError } from "../../core/errors.js";
import { identityDisabled } from "../storage/identity-store.js";
import type { IdentityDeps, Session } from "./identity-deps.js";
import { issueSession } from "./issue-session.js";
import { resolveLoginIdentity, type ClaimedIdentity } from "./login-identity.js";
import type { PoolSettings } from "./pool-settings.js";
import { verifyLogins, type LoginInput } from "./verify-logins.js";

export type { Session } from "./identity-deps.js";

/** What a device sends to sign in (validated for shape and length by the GraphQL layer). */
export interface SignInInput {
  identityPoolId: string;
  identityId?: string | null;
  deviceSecret?: string | null;
  logins?: ReadonlyArray<LoginInput> | null;
}

/** What sign-in needs (the identity operations' dependencies). */
export type SignInDeps = IdentityDeps;

/** The same answer for every failed guest check, so it never tells which identities exist. */
const GUEST_REFUSED = "unknown identity or wrong device secret";

/**
 * Signs a device in to a pool; `clientAddress` is where the request came from, for the new-guest quota.
 * @throws SyncpoolError NOT_FOUND (no such pool), FORBIDDEN (the pool takes no guests; role rules
 *   deny the login), UNAUTHENTICATED (a returning guest's secret is missing or wrong, the identity
 *   is not in this pool, is disabled or merged, or has logins; a login token does not verify),
 *   BAD_USER_INPUT (an unknown login provider, a secret without an identity id), CONFLICT (logins
 *   of two identities), LIMIT_EXCEEDED (a guest merge would break the target's limits),
 *   RATE_LIMITED (`clientAddress` created its hourly allowance of new guests already).
 */
export async function signIn(deps: SignInDeps, input: SignInInput, clientAddress = "unknown"): Promise<Session> {
  const pool = await deps.pools.get(input.identityPoolId);
  if (!pool) {
    throw new SyncpoolError("NOT_FOUND", `identity pool "${input.identityPoolId}" not found`, { field: "identityPoolId" });
  }
  if (input.deviceSecret && !input.identityId) {
    throw new SyncpoolError("BAD_USER_INPUT", "deviceSecret needs the identityId it belongs to", { field: "identityId" });
  }
  if (input.logins && input.logins.length > 0) return signInWithLogins(deps, pool, input, input.logins);
  if (!pool.allowGuests) {
    throw new SyncpoolError("FORBIDDEN", `identity pool "${pool.id}" does not allow guest identities`, { field: "identityPoolId" });
  }

  if (input.identityId !== undefined && input.identityId !== null) {
    await checkReturningGuest(deps, pool, input.identityId, input.deviceSecret ?? null);
    return issueSession(deps, pool, input.identityId, null);
  }

  deps.guestQuota.admit(pool, clientAddress);
  const identityId = `${pool.region}:${randomUUID()}`;
  const deviceSecret = randomBytes(32).toString("base64url");
  await deps.storage.pools.createIdentity({ id: identityId, poolId: pool.id, secretHash: hashDeviceSecret(deviceSecret), createdAt: deps.now() });
  return issueSession(deps, pool, identityId, null, { deviceSecret });
}

async function signInWithLogins(deps: SignInDeps, pool: PoolSettings, input: SignInInput, logins: readonly LoginInput[]): Promise<Session> {
  const verified = await verifyLogins(deps, pool, logins);
  let claimed: ClaimedIdentity | null = null;
  if (input.identityId) {
    // A secret proves the claim (needed to upgrade or merge it); an id alone may just name the owner.
    if (input.deviceSecret) await checkGuestSecret(deps, pool, input.identityId, input.deviceSecret);
    claimed = { id: input.identityId, proven: Boolean(input.deviceSecret) };
  }
  const resolved = await resolveLoginIdentity(
    deps,
    pool,
    verified.map((login) => login.key),
    claimed,
    { allowMerge: true },
  );
  return issueSession(deps, pool, resolved.identityId, verified[0]!, { mergedIdentityIds: resolved.mergedIdentityIds });
}

async function checkReturningGuest(deps: SignInDeps, pool: PoolSettings, identityId: string, deviceSecret: string | null): Promise<void> {
  if (deviceSecret === null) {
    throw new SyncpoolError("UNAUTHENTICATED", "deviceSecret is required to sign in as an existing guest identity", {
      field: "deviceSecret",
    });
  }
  await checkGuestSecret(deps, pool, identityId, deviceSecret);
  // Only now, to someone holding the secret, does the answer say more than "refused".
  const status = await deps.storage.identities.getIdentityStatus(identityId);
  if (status?.disabledAt != null) throw identityDisabled(status);
}

/** Refuses unless `deviceSecret` is the secret of a login-less identity of `pool` (see the module comment). */
async function checkGuestSecret(deps: SignInDeps, pool: PoolSettings, identityId: string, deviceSecret: string): Promise<void> {
  const identity = await deps.storage.pools.getIdentity(identityId);
  const matches = identity !== null && identity.poolId === pool.id && identity.secretHash !== null && deviceSecretMatches(deviceSecret, identity.secretHash);
  if (!matches || (await deps.storage.identities.listLogins(identityId)).length > 0) throw new SyncpoolError("UNAUTHENTICATED", GUEST_REFUSED);
}

/**
 * The stored form of a device secret: `sha256:<base64url digest>`. A plain SHA-256 is enough
 * here, unlike for passwords: the secret is 256 random bits, so there is no dictionary to try and
 * a slow hash (scrypt) would only cost every sign-in time without adding any safety.
 */
export function hashDeviceSecret(deviceSecret: string): string {
  return `sha256:${createHash("sha256").update(deviceSecret, "utf8").digest("base64url")}`;
}

/** Compares in constant time (digests of equal length), so timing reveals nothing of the hash. */
function deviceSecretMatches(deviceSecret: string, secretHash: string): boolean {
  const expected = Buffer.from(secretHash, "utf8");
  const actual = Buffer.from(hashDeviceSecret(deviceSecret), "utf8");
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
