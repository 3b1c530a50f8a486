/**
 * OPTIMISTIC conflicts: the server refused a push because some patches were based on stale sync
 * counts. The app's `onConflict` handler sees each conflict with the local and the server record
 * and picks `useRemote()`, `useLocal()` or `useValue(v)`; the picks are applied to the store (see
 * `store/apply-resolutions.ts`) and pushed with the server's sync count. Conflicts left without a
 * pick stay pending and are reported (the `conflict` event) on every sync until resolved.
 */
import type { SyncRecord } from "../../core/types.js";
import type { ConflictReport, Emitter } from "../events.js";
import type { IdentityDb } from "../store/identity-db.js";
import { applyResolutions, type Resolution } from "../store/apply-resolutions.js";
import type { WriteContext } from "../store/local-write.js";
import { toSyncRecord } from "../store/record-state.js";
import type { LocalRecord } from "../store/rows.js";
import type { ServerConflict } from "../transport/transport.js";

/** One conflict, handed to `onConflict`. Call one of the `use*` methods to resolve it. */
export interface Conflict {
  dataset: string;
  key: string;
  /** This device's record, pending write included (a tombstone for a pending remove). */
  local: SyncRecord | null;
  /** The server's record, or null when the server never had the key. */
  remote: SyncRecord | null;
  /**
   * The record as this device last synced it before the local write (the common ancestor of
   * `local` and `remote` for a three-way merge); null when the key was new to this device's view
   * of the server, or the write was made before the device knew the dataset was OPTIMISTIC.
   */
  base: SyncRecord | null;
  /** Keep the server's record; drop the local write. */
  useRemote(): void;
  /** Keep the local write; it overwrites the server's record on the next push. */
  useLocal(): void;
  /** Write `value` instead (null removes the record). */
  useValue(value: string | null): void;
}

/** The app's conflict handler; it may be async. Throwing leaves every conflict unresolved. */
export type ConflictHandler = (conflicts: Conflict[]) => void | Promise<void>;

export interface ConflictOutcome {
  /** Keys still in conflict: left out of this pass's pushes. */
  unresolved: Set<string>;
  /** Local records the resolutions changed. */
  changed: LocalRecord[];
}

/** Asks `handler` about `conflicts`, applies its picks and reports the rest. */
export async function resolveConflicts(
  db: IdentityDb,
  dataset: string,
  conflicts: readonly ServerConflict[],
  handler: ConflictHandler | undefined,
  context: WriteContext,
  emitter: Emitter,
): Promise<ConflictOutcome> {
  const picks = new Map<string, Resolution>();
  const offered: Conflict[] = [];
  for (const conflict of conflicts) {
    const local = await db.records.get([dataset, conflict.key]);
    const remote = conflict.serverRecord;
    const [first] = await db.outbox.where("[dataset+key]").equals([dataset, conflict.key]).sortBy("seq");
    offered.push({
      dataset,
      key: conflict.key,
      local: local ? toSyncRecord(local) : null,
      remote,
      base: first?.base ?? null,
      useRemote: () => picks.set(conflict.key, { key: conflict.key, use: "remote", serverRecord: remote }),
      useLocal: () => picks.set(conflict.key, { key: conflict.key, use: "local", serverRecord: remote }),
      useValue: (value) => picks.set(conflict.key, { key: conflict.key, use: "value", serverRecord: remote, value }),
    });
  }
  if (handler) {
    try {
      await handler(offered);
    } catch (error) {
      picks.clear();
      emitter.emit("syncError", { error, dataset });
    }
  }
  const changed = picks.size > 0 ? await applyResolutions(db, dataset, [...picks.values()], context) : [];
  const left = offered.filter((conflict) => !picks.has(conflict.key));
  if (left.length > 0) {
    const reports: ConflictReport[] = left.map(({ key, local, remote, base }) => ({ dataset, key, local, remote, base }));
    emitter.emit("conflict", { dataset, conflicts: reports });
  }
  return { unresolved: new Set(left.map((conflict) => conflict.key)), changed };
}
