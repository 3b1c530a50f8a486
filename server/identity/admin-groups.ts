/**
 * The admin API's group calls: add an identity to a pool's group, remove it, list a group's
 * members. Groups exist as long as they have members; a shared dataset's rules name them
 * (`shared-datasets.ts`), and a member's next request is judged with its new groups.
 */
import { SyncpoolError } from "../../core/errors.js";
import { GROUP_NAME_PATTERN } from "../storage/group-store.js";
import type { IdentityDeps } from "./identity-deps.js";

/** @throws SyncpoolError BAD_USER_INPUT for a group name that is not one. */
function checkGroupName(group: string): void {
  if (!GROUP_NAME_PATTERN.test(group)) {
    throw new SyncpoolError("BAD_USER_INPUT", "group must be 1-128 characters of A-Z a-z 0-9 _ . : -", { field: "group" });
  }
}

/**
 * Adds the identity to the pool's group; false when it was a member already.
 * @throws SyncpoolError NOT_FOUND (no such identity in that pool), BAD_USER_INPUT (bad group name).
 */
export async function addGroupMember(deps: IdentityDeps, poolId: string, group: string, identityId: string): Promise<boolean> {
  checkGroupName(group);
  const status = await deps.storage.identities.getIdentityStatus(identityId);
  if (status === null || status.poolId !== poolId) {
    throw new SyncpoolError("NOT_FOUND", `identity "${identityId}" not found in pool "${poolId}"`, { field: "identityId" });
  }
  return deps.storage.groups.addGroupMember(poolId, group, identityId, deps.now());
}

/**
 * Removes the identity from the pool's group; false when it was not a member.
 * @throws SyncpoolError BAD_USER_INPUT (bad group name).
 */
export async function removeGroupMember(deps: IdentityDeps, poolId: string, group: string, identityId: string): Promise<boolean> {
  checkGroupName(group);
  return deps.storage.groups.removeGroupMember(poolId, group, identityId);
}

/**
 * The group's members, ordered by identity id (empty for a group without members).
 * @throws SyncpoolError BAD_USER_INPUT (bad group name).
 */
export async function listGroupMembers(deps: IdentityDeps, poolId: string, group: string): Promise<string[]> {
  checkGroupName(group);
  return deps.storage.groups.listGroupMembers(poolId, group);
}
