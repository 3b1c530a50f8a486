/**
 * The caller a shared-dataset operation acts as: the dataset's owner id (`_shared:<pool>` or
 * `_group:<pool>:<group>`), the entry's limits, and the identity that asked as `writer`. Sync code
 * then runs unchanged; events and notifications carry `writer`.
 */
import { SyncpoolError } from "../../core/errors.js";
import type { PoolSettings } from "../identity/pool-settings.js";
import type { PolicySubject } from "../identity/policy.js";
import { resolveSharedAccess } from "../identity/shared-access.js";
import type { GroupStore } from "../storage/group-store.js";
import type { Caller } from "../sync/types.js";

/** What a shared-dataset operation needs to be allowed. */
export type SharedAction = "read" | "write";

/**
 * The caller for `actions` on shared dataset `dataset`.
 * @throws SyncpoolError FORBIDDEN (`reason: SHARED_DENIED`) when no entry names the dataset or
 *   the entry does not let the subject do every one of `actions`.
 */
export async function sharedCaller(
  groups: Pick<GroupStore, "listIdentityGroups">,
  verified: { caller: Caller; subject: PolicySubject; pool: PoolSettings; authenticated: boolean },
  dataset: string,
  actions: readonly SharedAction[],
): Promise<Caller> {
  const { caller, subject, pool } = verified;
  const memberOf = await groups.listIdentityGroups(pool.id, caller.identityId);
  const access = resolveSharedAccess(pool.sharedDatasets, { ...subject, guest: !verified.authenticated, groups: memberOf }, dataset);
  const allowed = access !== null && actions.every((action) => (action === "read" ? access.canRead : access.canWrite));
  if (access === null || !allowed) {
    throw new SyncpoolError(
      "FORBIDDEN",
      access === null
        ? `"${dataset}" is not a shared dataset of this pool for this identity`
        : `this identity may not ${actions.join(" and ")} shared dataset "${dataset}"`,
      { reason: "SHARED_DENIED", actions: [...actions], dataset },
    );
  }
  return {
    identityId: access.ownerId,
    poolId: caller.poolId,
    limits: { ...caller.limits, maxRecords: access.settings.maxRecords, maxDatasetBytes: access.settings.maxBytes },
    writer: caller.identityId,
  };
}
