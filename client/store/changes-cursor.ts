/**
 * The device's change feed cursor (`ChangesCursorMeta`): read before a full pass, stored only after
 * every dataset of that pass synced, so a failed pass asks again from the same place.
 */
import type { IdentityDb } from "./identity-db.js";
import type { ChangesCursorMeta } from "./rows.js";

const ID = "changes";

/** The stored cursor, or null before the first full pass. */
export async function readChangesCursor(db: IdentityDb): Promise<string | null> {
  return ((await db.meta.get(ID)) as ChangesCursorMeta | undefined)?.cursor ?? null;
}

/** Stores `cursor` as the device's position in the change feed. */
export async function saveChangesCursor(db: IdentityDb, cursor: string): Promise<void> {
  await db.meta.put({ id: ID, cursor } satisfies ChangesCursorMeta);
}
