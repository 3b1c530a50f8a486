/**
 * A record keeps its kind while it is live. Switching a live key between STRING and YDOC cannot
 * merge (a string is not a Yjs update and the reverse), so devices that saw the two writes in
 * different orders would hold different values. The rule is checked where a write enters: the
 * client's `put`/`doc` and the server's push plan. A tombstone ends the key's life, so a removed
 * key may come back as the other kind.
 */
import { SyncpoolError } from "./errors.js";
import type { RecordKind } from "./types.js";

/** The reason a kind change is refused, in `details.reason` (and the server's extensions). */
export const KIND_CHANGE = "KIND_CHANGE";

/**
 * Throws BAD_USER_INPUT (`reason: KIND_CHANGE`) when a write of `kind` would change the kind of
 * the live record `stored`. Removals, new keys and keys whose stored record is a tombstone pass.
 */
export function assertKindKept(
  stored: { kind: RecordKind; deleted: boolean } | null | undefined,
  write: { key: string; kind: RecordKind; remove: boolean },
  field = "kind",
): void {
  if (!stored || stored.deleted || write.remove || stored.kind === write.kind) return;
  throw new SyncpoolError(
    "BAD_USER_INPUT",
    `${field}: key "${write.key}" holds a ${stored.kind} record; remove it before writing it as ${write.kind}`,
    { field, reason: KIND_CHANGE, key: write.key, storedKind: stored.kind },
  );
}
