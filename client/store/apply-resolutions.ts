/**
 * Applies the app's answers to OPTIMISTIC conflicts, in one transaction:
 * - `remote`: the pending writes of the key are dropped and the server record becomes the local one;
 * - `local`: the pending writes stay and are re-based on the server's sync count, so the next push
 *   overwrites the server record;
 * - `value`: the pending writes are replaced by one new write of the chosen value (null removes),
 *   based on the server's sync count.
 */
import type { SyncRecord } from "../../core/types.js";
import type { IdentityDb } from "./identity-db.js";
import { persistClock, type WriteContext } from "./local-write.js";
import { toLocal } from "./record-state.js";
import type { LocalRecord } from "./rows.js";
import { moveTotals } from "./usage-totals.js";

export type Resolution =
  | { key: string; use: "remote"; serverRecord: SyncRecord | null }
  | { key: string; use: "local"; serverRecord: SyncRecord | null }
  | { key: string; use: "value"; serverRecord: SyncRecord | null; value: string | null };

/** Applies `resolutions` to `dataset`; returns the local records that changed. */
export async function applyResolutions(
  db: IdentityDb,
  dataset: string,
  resolutions: readonly Resolution[],
  context: WriteContext,
): Promise<LocalRecord[]> {
  return db.transaction("rw", db.records, db.outbox, db.meta, async () => {
    const changed: LocalRecord[] = [];
    for (const resolution of resolutions) {
      const local = await db.records.get([dataset, resolution.key]);
      const server = resolution.serverRecord;
      const base = { syncCount: server?.syncCount ?? 0, lastModifiedAt: server?.lastModifiedAt ?? 0 };
      const pending = db.outbox.where("[dataset+key]").equals([dataset, resolution.key]);
      if (resolution.use === "remote") {
        await pending.delete();
        if (server) {
          context.clock.receive(server.clock);
          const record = toLocal(dataset, server);
          await db.records.put(record);
          await moveTotals(db, dataset, local, record);
          changed.push(record);
        } else if (local) {
          await db.records.delete([dataset, resolution.key]);
          await moveTotals(db, dataset, local, undefined);
          changed.push({ ...local, value: null, deleted: true });
        }
      } else if (resolution.use === "local") {
        if (!local) continue;
        const record = { ...local, ...base };
        await db.records.put(record);
        await moveTotals(db, dataset, local, record);
        await pending.modify({ baseSyncCount: base.syncCount, base: server });
        changed.push(record);
      } else {
        await pending.delete();
        if (server) context.clock.receive(server.clock);
        const now = context.now();
        const clock = context.clock.tick();
        const deleted = resolution.value === null;
        const kind = local?.kind ?? server?.kind ?? "STRING";
        const record: LocalRecord = {
          dataset,
          key: resolution.key,
          value: resolution.value,
          kind,
          clock,
          lastModifiedBy: context.deviceId,
          deviceLastModifiedAt: now,
          deleted,
          ...base,
        };
        await db.records.put(record);
        await moveTotals(db, dataset, local, record);
        await db.outbox.add({
          dataset,
          key: resolution.key,
          op: deleted ? "REMOVE" : "REPLACE",
          value: resolution.value,
          kind,
          clock,
          baseSyncCount: base.syncCount,
          deviceLastModifiedAt: now,
          base: server,
        });
        changed.push(record);
      }
    }
    await persistClock(db, context.clock);
    return changed;
  });
}
