/**
 * The notes app's families as pool settings. A pool's shared datasets are declared in its settings,
 * and a guest's token carries nothing that could name a group created later (no principal tags),
 * so the demo declares a fixed number of family slots up front: slot N is the group `family-N`,
 * which owns, reads and writes every dataset named `family-N.<something>` (the app uses
 * `family-N.todos` and `family-N.bodies`). A slot is free while its group has no members.
 */
import { poolSettingsSchema, type PoolSettings } from "../../../server/config.js";

/** How many families the demo pool has room for (a pool declares at most 100 shared datasets). */
export const FAMILY_SLOTS = 100;

/** The group (and dataset prefix) of family slot `slot`, 1-based. */
export function familyGroup(slot: number): string {
  return `family-${slot}`;
}

/** The `sharedDatasets` entries of `slots` families. */
export function familySharedDatasets(slots = FAMILY_SLOTS) {
  return Array.from({ length: slots }, (_, index) => {
    const principal = `group:${familyGroup(index + 1)}`;
    // `family-1.*` does not match `family-10.todos`: the dot ends the slot number.
    return { name: `${familyGroup(index + 1)}.*`, owner: principal, read: [principal], write: [principal] };
  });
}

/** Settings of a guest pool `id` with room for `slots` families. */
export function familyPool(id = "default", slots = FAMILY_SLOTS): PoolSettings {
  return poolSettingsSchema.parse({ id, sharedDatasets: familySharedDatasets(slots) });
}
