/**
 * Who may read and write a shared dataset, and under which owner id its rows are stored. Pure:
 * the caller passes the token's subject and the identity's groups in the pool, so a table of cases
 * tests it completely.
 *
 * A shared dataset's rows live in the identity-id columns under a synthetic owner id, so records,
 * counts, locks, the stream and merge work as for own datasets: `_shared:<poolId>` for a
 * pool-owned dataset and `_group:<poolId>:<group>` for a group-owned one. Identity ids start with
 * a region, which cannot contain `_`, so the two never collide.
 */
import { fillVariables, patternMatches, type PolicySubject } from "./policy.js";
import type { SharedDatasetSettings } from "./shared-datasets.js";

/** Who is asking: the token's subject, whether it is a guest, and its groups in the pool. */
export interface SharedSubject extends PolicySubject {
  guest: boolean;
  groups: readonly string[];
}

/** What a subject may do with one shared dataset. */
export interface SharedAccess {
  /** The entry of the pool's settings that the dataset name matched. */
  settings: SharedDatasetSettings;
  /** The id its rows are stored under. */
  ownerId: string;
  canRead: boolean;
  canWrite: boolean;
}

const GROUP_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The owner id of a pool's shared datasets. */
export function poolOwnerId(poolId: string): string {
  return `_shared:${poolId}`;
}

/** The owner id of a group's shared datasets. */
export function groupOwnerId(poolId: string, group: string): string {
  return `_group:${poolId}:${group}`;
}

/** True when `ownerId` is a shared owner rather than an identity. */
export function isSharedOwnerId(ownerId: string): boolean {
  return ownerId.startsWith("_shared:") || ownerId.startsWith("_group:");
}

/**
 * The access `subject` has to the shared dataset `dataset`, or null when no entry of `entries`
 * matches it or its owner cannot be named for this subject (a variable without a value, or a group
 * name that is not one). The first matching entry wins.
 */
export function resolveSharedAccess(entries: readonly SharedDatasetSettings[], subject: SharedSubject, dataset: string): SharedAccess | null {
  const settings = entries.find((entry) => patternMatches(entry.name, dataset, subject));
  if (settings === undefined) return null;
  const ownerId = entryOwnerId(settings, subject);
  if (ownerId === null) return null;
  return { settings, ownerId, canRead: admits(settings.read, subject), canWrite: admits(settings.write, subject) };
}

/**
 * The owner id an entry's datasets live under for `subject`, or null when its owner cannot be
 * named for this subject (a variable without a value, or a group name that is not one).
 */
export function entryOwnerId(entry: SharedDatasetSettings, subject: PolicySubject): string | null {
  if (entry.owner === "pool") return poolOwnerId(subject.poolId);
  const group = fillVariables(entry.owner.slice("group:".length), subject);
  if (group === null || !GROUP_NAME.test(group)) return null;
  return groupOwnerId(subject.poolId, group);
}

/** True when any of `principals` names `subject`. */
export function admits(principals: readonly string[], subject: SharedSubject): boolean {
  return principals.some((principal) => {
    if (principal === "any") return true;
    if (principal === "authenticated") return !subject.guest;
    if (principal === "guest") return subject.guest;
    const name = fillVariables(principal.slice(principal.indexOf(":") + 1), subject);
    if (name === null) return false;
    return principal.startsWith("group:") ? subject.groups.includes(name) : subject.role === name;
  });
}
