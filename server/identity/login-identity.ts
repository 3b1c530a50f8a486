/**
 * Which identity a set of verified logins reaches, shared by sign-in, `getTokenForDeveloperIdentity`
 * and `linkLogin`. The logins' owner is the identity holding any of them (they must not belong to
 * two). With a `claimed` identity (a guest proving its device secret, the caller of `linkLogin`,
 * or the identity a developer backend names):
 *
 * | logins' owner     | outcome                                                              |
 * |-------------------|----------------------------------------------------------------------|
 * | none              | the logins are linked to the claimed identity: an upgrade in place  |
 * | the claimed one   | nothing to do                                                        |
 * | another identity  | the claimed identity merges into the owner (`allowMerge`), or CONFLICT |
 *
 * Without a claimed identity: the owner, or a new identity created with the logins. Every path is
 * safe against a concurrent sign-in with the same login: storage refuses a second owner, and the
 * resolution starts over with the owner it reports.
 */
import { randomUUID } from "node:crypto";
import { SyncpoolError } from "../../core/errors.js";
import { identityDisabled, type LoginKey } from "../storage/identity-store.js";
import { mergeIdentities, SourceNotActiveError } from "../sync/merge-identities.js";
import type { IdentityDeps } from "./identity-deps.js";
import type { PoolSettings } from "./pool-settings.js";

/** An identity the caller has shown it may act for (`proven`), or merely named. */
export interface ClaimedIdentity {
  id: string;
  /** True when the caller proved it (device secret, its own token, the developer key). */
  proven: boolean;
}

/** Where the logins led. */
export interface LoginIdentity {
  identityId: string;
  /** The claimed identity, when it was merged into `identityId` by this call. */
  mergedIdentityIds: string[];
}

const ATTEMPTS = 4;

/**
 * Resolves (and links, creates or merges) the identity of `logins` in `pool`; see the module comment.
 * @throws SyncpoolError CONFLICT (`reason` LOGINS_OF_DIFFERENT_IDENTITIES, or LOGIN_LINKED_ELSEWHERE
 *   without `allowMerge`), UNAUTHENTICATED (a disabled identity; merging an unproven claim),
 *   LIMIT_EXCEEDED (the merge would break the target's limits; nothing changed).
 */
export async function resolveLoginIdentity(
  deps: IdentityDeps,
  pool: PoolSettings,
  logins: readonly LoginKey[],
  claimed: ClaimedIdentity | null,
  options: { allowMerge: boolean },
): Promise<LoginIdentity> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const owners = [...new Set((await Promise.all(logins.map((login) => deps.storage.identities.findLoginOwner(pool.id, login)))).filter((id) => id !== null))];
    if (owners.length > 1) {
      throw new SyncpoolError("CONFLICT", "these logins belong to different identities: sign in with one of them", {
        reason: "LOGINS_OF_DIFFERENT_IDENTITIES",
      });
    }
    const owner = owners[0] ?? null;

    if (owner === null && claimed === null) {
      const created = await deps.storage.identities.createIdentityWithLogins(
        { id: `${pool.region}:${randomUUID()}`, poolId: pool.id, secretHash: null, createdAt: deps.now() },
        logins,
      );
      if (created.created) return { identityId: created.identityId, mergedIdentityIds: [] };
      continue; // a concurrent sign-in created the owner first: resolve again
    }

    if (owner === null) {
      // Proof first: an unproven caller learns nothing of the identity it named (exists, disabled, merged).
      if (!claimed!.proven) throw unproven();
      await assertActive(deps, pool, claimed!.id);
      const { linkedElsewhere } = await deps.storage.identities.linkLogins(claimed!.id, pool.id, logins, deps.now());
      if (linkedElsewhere === null) return { identityId: claimed!.id, mergedIdentityIds: [] };
      continue;
    }

    const ownerStatus = await assertActive(deps, pool, owner);
    if (claimed === null || claimed.id === owner) return linkRest(deps, pool, owner, logins, []);

    const claimedStatus = await deps.storage.identities.getIdentityStatus(claimed.id);
    // Merged into the owner before (another device of the same guest got here first).
    if (claimedStatus?.mergedInto === owner) return linkRest(deps, pool, owner, logins, []);
    if (!options.allowMerge) {
      throw new SyncpoolError("CONFLICT", "this login is linked to another identity: link it with merge: true to merge into it", {
        reason: "LOGIN_LINKED_ELSEWHERE",
        identityId: owner,
      });
    }
    if (!claimed.proven) throw unproven();
    if (claimedStatus === null || claimedStatus.poolId !== pool.id) throw new SyncpoolError("UNAUTHENTICATED", "unknown identity");
    try {
      await mergeIdentities(deps.sync, { poolId: pool.id, sourceId: claimed.id, targetId: ownerStatus.id, limits: pool.limits });
    } catch (error) {
      if (!(error instanceof SourceNotActiveError)) throw error;
      if (error.mergedInto !== owner) throw identityDisabled({ mergedInto: error.mergedInto });
      return linkRest(deps, pool, owner, logins, []);
    }
    return linkRest(deps, pool, owner, logins, [claimed.id]);
  }
  throw new Error(`resolving the identity of a login kept racing with other sign-ins (${ATTEMPTS} attempts)`);
}

/** Links the logins the owner does not hold yet (a sign-in with a second provider). */
async function linkRest(deps: IdentityDeps, pool: PoolSettings, owner: string, logins: readonly LoginKey[], merged: string[]): Promise<LoginIdentity> {
  const { linkedElsewhere } = await deps.storage.identities.linkLogins(owner, pool.id, logins, deps.now());
  if (linkedElsewhere !== null) {
    throw new SyncpoolError("CONFLICT", "these logins belong to different identities: sign in with one of them", {
      reason: "LOGINS_OF_DIFFERENT_IDENTITIES",
    });
  }
  return { identityId: owner, mergedIdentityIds: merged };
}

async function assertActive(deps: IdentityDeps, pool: PoolSettings, identityId: string) {
  const status = await deps.storage.identities.getIdentityStatus(identityId);
  if (status === null || status.poolId !== pool.id) throw new SyncpoolError("UNAUTHENTICATED", "unknown identity");
  if (status.disabledAt !== null) throw identityDisabled(status);
  return status;
}

/** The same answer whether the named identity exists or not, so naming ids probes nothing. */
function unproven(): SyncpoolError {
  return new SyncpoolError("UNAUTHENTICATED", "unknown identity or missing device secret: a guest's device secret is required to bring its data to the login", {
    field: "deviceSecret",
  });
}
