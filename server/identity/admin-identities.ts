/**
 * The admin API's identity calls: list a pool's identities with their logins (never a secret or
 * its hash), and disable one. A disabled identity's tokens stop working at once: every request
 * checks its identity's status (`server/graphql/context.ts`), and storage refuses its writes
 * even when they were already waiting for a lock.
 */
import { SyncpoolError } from "../../core/errors.js";
import type { IdentitySummary } from "../storage/identity-store.js";
import type { IdentityDeps } from "./identity-deps.js";
import { describeIdentity } from "./link-logins.js";

/** Largest page of `identities`. */
export const MAX_IDENTITY_PAGE = 1000;

/** A page of identities and where the next one starts (null on the last page). */
export interface IdentityPage {
  identities: IdentitySummary[];
  nextCursor: string | null;
}

/**
 * The pool's identities ordered by id, `first` at a time, after the cursor `after`.
 * @throws SyncpoolError NOT_FOUND (no such pool), BAD_USER_INPUT (`first` out of range).
 */
export async function listIdentities(deps: IdentityDeps, poolId: string, first: number, after: string | null): Promise<IdentityPage> {
  if (!(await deps.pools.get(poolId))) throw new SyncpoolError("NOT_FOUND", `identity pool "${poolId}" not found`, { field: "identityPoolId" });
  if (!Number.isSafeInteger(first) || first < 1 || first > MAX_IDENTITY_PAGE) {
    throw new SyncpoolError("BAD_USER_INPUT", `first must be between 1 and ${MAX_IDENTITY_PAGE}`, { field: "first" });
  }
  // The cursor is the last id of the previous page; one extra row tells whether a page follows.
  const rows = await deps.storage.identities.listIdentities(poolId, after, first + 1);
  const identities = rows.slice(0, first);
  return { identities, nextCursor: rows.length > first ? identities.at(-1)!.id : null };
}

/**
 * Disables an identity (idempotent) and answers it as it is now.
 * @throws SyncpoolError NOT_FOUND when there is no such identity.
 */
export async function disableIdentity(deps: IdentityDeps, identityId: string): Promise<IdentitySummary> {
  if (!(await deps.storage.identities.disableIdentity(identityId, deps.now()))) {
    throw new SyncpoolError("NOT_FOUND", `identity "${identityId}" not found`, { field: "identityId" });
  }
  return describeIdentity(deps, (await deps.storage.identities.getIdentityStatus(identityId))!);
}
