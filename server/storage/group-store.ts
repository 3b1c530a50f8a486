/**
 * Group membership of identities within a pool: who belongs to which named group, so shared
 * datasets owned by or written by a group (`group:<name>` in a pool's `sharedDatasets` rules) know
 * their members. One table (migration 7, `group-migrations.ts`) and one store written once as SQL
 * (`sql-groups.ts`) over the backend's connections: `storage.groups`.
 * `test/conformance/storage-suite-groups.ts` checks both backends.
 */

/** Group names: short and log-safe, like role names. */
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Group membership storage; see the module comment. Every method is scoped to one pool. */
export interface GroupStore {
  /** Adds `identityId` to the pool's group; false when it was a member already (idempotent). */
  addGroupMember(poolId: string, group: string, identityId: string, createdAt: number): Promise<boolean>;
  /** Removes `identityId` from the pool's group; false when it was not a member. */
  removeGroupMember(poolId: string, group: string, identityId: string): Promise<boolean>;
  /** The members of the pool's group, ordered by identity id. */
  listGroupMembers(poolId: string, group: string): Promise<string[]>;
  /** The groups of the pool that `identityId` belongs to, ordered by name. */
  listIdentityGroups(poolId: string, identityId: string): Promise<string[]>;
  /**
   * Moves every membership of `fromIdentityId` to `toIdentityId` (identity merge: the kept identity
   * takes the merged-away one's groups); a group both belonged to keeps one membership. Returns the
   * number of memberships moved or dropped as duplicates.
   */
  moveGroupMemberships(fromIdentityId: string, toIdentityId: string): Promise<number>;
}
