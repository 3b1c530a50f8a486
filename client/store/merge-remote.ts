/**
 * Folds records from the server into the local view (inside the caller's transaction). A key with
 * no pending local write takes the server record as it is. A key with pending writes keeps them
 * visible: in CRDT datasets the local view becomes the join of both (core/merge), which is what the
 * server will hold once the writes arrive; in OPTIMISTIC datasets the local value stays until the
 * push settles the conflict. Every clock seen is folded into the device clock.
 */
import type { SyncRecord } from "../../core/types.js";
import type { OverwrittenReport } from "../events.js";
import { findOverwritten } from "./overwritten.js";
import type { IdentityDb } from "./identity-db.js";
import { joinStates } from "./join-states.js";
import type { WriteClock } from "./local-write.js";
import { toLocal, toState } from "./record-state.js";
import { datasetMetaId, type DatasetMeta, type LocalRecord, type OutboxRow } from "./rows.js";
import { moveUsage, saveTotals, storedTotals } from "./usage-totals.js";

export interface MergeRemoteOptions {
  /**
   * True for pulls: a pending write keeps the sync count it was based on, so an OPTIMISTIC push
   * can be refused as stale. False for push acks: the server now holds this device's write.
   */
  keepPendingBase: boolean;
  /** Collects the local writes the merge made lose (emitted once the transaction commits). */
  overwritten?: OverwrittenReport[];
  /** A push answer: the rows of the acknowledged batch, already gone from the outbox. */
  acked?: readonly OutboxRow[];
}

/**
 * Merges `records` into `dataset`'s local view; returns the local records that changed. The rows
 * are read and written in bulk (one read of the held records, one of the dataset's pending writes,
 * one write, one totals update), since a pull from zero brings a whole dataset at once.
 */
export async function mergeRemote(
  db: IdentityDb,
  dataset: string,
  records: readonly SyncRecord[],
  clock: WriteClock,
  options: MergeRemoteOptions,
): Promise<LocalRecord[]> {
  if (records.length === 0) return [];
  const meta = (await db.meta.get(datasetMetaId(dataset))) as DatasetMeta | undefined;
  const optimistic = meta?.conflictStrategy === "OPTIMISTIC";
  const stored = await heldRecords(db, dataset, records);
  // The local view as this merge leaves it: a key may come twice (pages read in different
  // snapshots), and its second version merges with what the first one left.
  const held = new Map<string, LocalRecord>();
  stored.forEach((local, index) => local && held.set(records[index]!.key, local));
  const pendingByKey = held.size > 0 ? await pendingWrites(db, dataset) : new Map<string, OutboxRow[]>();
  const written = new Map<string, LocalRecord>();
  // Unknown totals stay unknown (the next local write recounts): a first pull counts nothing.
  let totals = await storedTotals(db, dataset);
  const changed: LocalRecord[] = [];
  for (const remote of records) {
    clock.receive(remote.clock);
    const local = held.get(remote.key);
    // An older version than the one held (a replayed push answer, a page read before a later
    // push): record sync counts only grow, so it has nothing new for this device.
    if (local && remote.syncCount < local.syncCount) continue;
    const rows = (local && pendingByKey.get(remote.key)) || [];
    let next: LocalRecord;
    if (!local || rows.length === 0) {
      next = toLocal(dataset, remote);
    } else {
      // Until the first pull tells the strategy, a pending write keeps its base too: if the
      // dataset is OPTIMISTIC the server must see the write as stale, not silently win.
      const base = options.keepPendingBase ? local : remote;
      const state = optimistic ? toState(local) : joinStates(toState(remote), toState(local));
      next = { ...state, dataset, syncCount: base.syncCount, lastModifiedAt: base.lastModifiedAt };
    }
    if (local && options.overwritten && !optimistic) {
      const own = [...(options.acked ?? []).filter((row) => row.key === remote.key), ...rows];
      options.overwritten.push(...findOverwritten(dataset, remote.key, own, toState(local), toState(next)));
    }
    if (!local || !sameRecord(local, next)) {
      if (totals) totals = moveUsage(totals, local, next);
      held.set(remote.key, next);
      written.set(remote.key, next);
      changed.push(next);
    }
  }
  if (written.size > 0) {
    await db.records.bulkPut([...written.values()]);
    if (totals) await saveTotals(db, dataset, totals);
  }
  return changed;
}

/**
 * The local records of `records`' keys, in their order (undefined where none). A first pull into a
 * dataset this device holds nothing of reads nothing: one index probe instead of a get per key.
 */
async function heldRecords(db: IdentityDb, dataset: string, records: readonly SyncRecord[]): Promise<(LocalRecord | undefined)[]> {
  if (records.length > 1 && (await db.records.where("dataset").equals(dataset).first()) === undefined) {
    return new Array<undefined>(records.length);
  }
  return db.records.bulkGet(records.map((record) => [dataset, record.key] as [string, string]));
}

/** The dataset's pending writes by key, each key's in write order. */
async function pendingWrites(db: IdentityDb, dataset: string): Promise<Map<string, OutboxRow[]>> {
  const byKey = new Map<string, OutboxRow[]>();
  for (const row of await db.outbox.where("dataset").equals(dataset).sortBy("seq")) {
    const rows = byKey.get(row.key);
    if (rows) rows.push(row);
    else byKey.set(row.key, [row]);
  }
  return byKey;
}

function sameRecord(a: LocalRecord, b: LocalRecord): boolean {
  return (
    a.value === b.value &&
    a.deleted === b.deleted &&
    a.kind === b.kind &&
    a.clock === b.clock &&
    a.syncCount === b.syncCount &&
    a.lastModifiedAt === b.lastModifiedAt
  );
}
