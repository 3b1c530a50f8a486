/**
 * The caller a shared-dataset operation acts as: the dataset's owner id (`_shared:<pool>` or
 * `_group:<pool>:<group>`), the entry's limits, and the identity that asked as `writer`. Sync code
 * then runs unchanged; events and notifications carry `writer`. `sharedListening` is the same
 * decision for a live subscription, made again for every change it would hear.
 */
import { SyncpoolError } from "../../core/errors.js";
import type { PoolSettings } from "../identity/pool-settings.js";
import { patternMatches, type PolicySubject } from "../identity/policy.js";
import { entryOwnerId, resolveSharedAccess } from "../identity/shared-access.js";
import type { GroupStore } from "../storage/group-store.js";
import type { Caller, CommittedChange } from "../sync/types.js";

/** The verified request a shared-dataset decision starts from. */
type Verified = { caller: Caller; subject: PolicySubject; pool: PoolSettings; authenticated: boolean; groups?: readonly string[] };

/** The identity's stored memberships and the groups its token carries. */
async function groupsOf(groups: Pick<GroupStore, "listIdentityGroups">, verified: Verified): Promise<string[]> {
  const stored = await groups.listIdentityGroups(verified.pool.id, verified.caller.identityId);
  return [...new Set([...stored, ...(verified.groups ?? [])])];
}

/** What a shared-dataset operation needs to be allowed. */
export type SharedAction = "read" | "write";

/**
 * The caller for `actions` on shared dataset `dataset`.
 * @throws SyncpoolError FORBIDDEN (`reason: SHARED_DENIED`) when no entry names the dataset or
 *   the entry does not let the subject do every one of `actions`.
 */
export async function sharedCaller(
  groups: Pick<GroupStore, "listIdentityGroups">,
  verified: Verified,
  dataset: string,
  actions: readonly SharedAction[],
): Promise<Caller> {
  const { caller, subject, pool } = verified;
  const memberOf = await groupsOf(groups, verified);
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

/**
 * What a live subscription to shared datasets listens to: the owner ids the pool's entries name for
 * this subject, and a check of each change against the entries and the identity's groups as they
 * are when the change arrives (membership changes while a subscription lives).
 */
export function sharedListening(
  groups: Pick<GroupStore, "listIdentityGroups">,
  verified: Verified,
  dataset: string | null,
): { ownerIds: string[]; mayRead(change: Pick<CommittedChange, "identityId" | "dataset">): Promise<boolean> } {
  const { caller, subject, pool } = verified;
  // One dataset: the first entry matching its name decides, as for a pull.
  const first = dataset === null ? undefined : pool.sharedDatasets.find((entry) => patternMatches(entry.name, dataset, subject));
  const entries = dataset === null ? pool.sharedDatasets : first ? [first] : [];
  const ownerIds = [...new Set(entries.map((entry) => entryOwnerId(entry, subject)).filter((id): id is string => id !== null))];
  return {
    ownerIds,
    async mayRead(change) {
      const memberOf = await groupsOf(groups, verified);
      const access = resolveSharedAccess(pool.sharedDatasets, { ...subject, guest: !verified.authenticated, groups: memberOf }, change.dataset);
      return access !== null && access.canRead && access.ownerId === change.identityId;
    },
  };
}
