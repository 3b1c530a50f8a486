/**
 * A local write: the record changes and the outbox gains the write in ONE IndexedDB transaction,
 * so a write is either fully recorded (and will be pushed) or not at all. Limits are checked
 * inside the same transaction against the local view, with the server's codes, so a write the
 * server would refuse fails at once instead of sitting in the outbox forever.
 */
import { formatClock, type Hlc } from "../../core/clock.js";
import { assertKindKept } from "../../core/kind-change.js";
import { checkDatasetCount, checkDatasetUsage } from "../../core/limits.js";
import { decodeJsonState, encodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut, applyJsonRemove, applyJsonUpdate } from "../../core/json-record.js";
import { EMPTY_JSON_STATE } from "../../core/json-state.js";
import type { RecordState } from "../../core/merge.js";
import type { Limits, PatchOp, RecordKind } from "../../core/types.js";
import type { IdentityDb } from "./identity-db.js";
import { datasetMetaId, newDatasetMeta, type ClockMeta, type DatasetMeta, type LocalRecord, type MetaRow, type OutboxRow, type UsageMeta } from "./rows.js";
import { joinStates } from "./join-states.js";
import { toState, toSyncRecord, type DatasetUsage } from "./record-state.js";
import { moveUsage, readTotals, usageMetaId, usageRow } from "./usage-totals.js";

/** One write as the app asked for it. YDOC values are incremental Yjs updates (base64). */
export interface LocalWrite {
  dataset: string;
  key: string;
  op: PatchOp;
  /** REPLACE: the value (a STRING value or a YDOC update); REMOVE: null. */
  value: string | null;
  kind: RecordKind;
  /** A JSON write (kind JSON, op REPLACE): the object put, or the update's paths and values. */
  json?: JsonWrite;
}

/** What a JSON write does; its state is built at the write's clock. */
export type JsonWrite = { put: object } | { update: Record<string, unknown> };

/** The device's hybrid logical clock, as the store uses it (core's `HybridClock` fits). */
export interface WriteClock {
  /** Stamps a local write. */
  tick(): string;
  /** Folds in a clock seen from the server. */
  receive(clock: string): void;
  /** The latest clock, to persist. */
  readonly last: Hlc | null;
}

/** What a write needs from the client: who writes, its clock, the time and the limits. */
export interface WriteContext {
  deviceId: string;
  clock: WriteClock;
  now: () => number;
  limits: Limits;
}

/** Applies `write` to the local view and queues it; returns the record as it now stands. */
export async function writeLocal(db: IdentityDb, write: LocalWrite, context: WriteContext): Promise<LocalRecord> {
  const [record] = await writeLocalBatch(db, [write], context);
  return record as LocalRecord;
}

/**
 * Applies `writes` in order, all in ONE transaction: every write or none. The limits are checked
 * once per dataset at the end, against running totals (see `usage-totals.ts`), so a batch costs
 * O(writes) however large the dataset is. Returns the records as they now stand, in write order.
 */
export async function writeLocalBatch(db: IdentityDb, writes: readonly LocalWrite[], context: WriteContext): Promise<LocalRecord[]> {
  return db.transaction("rw", db.records, db.outbox, db.meta, async () => {
    const startTotals = new Map<string, DatasetUsage>();
    const optimistic = new Set<string>();
    const totals = new Map<string, DatasetUsage>();
    const written: LocalRecord[] = [];
    for (const write of writes) {
      if (!totals.has(write.dataset)) {
        // One read for both rows: a put is a handful of IndexedDB requests, each one counts.
        const [meta, stored] = await db.meta.bulkGet([datasetMetaId(write.dataset), usageMetaId(write.dataset)]);
        if (!meta) await createDatasetMeta(db, write.dataset, context.limits);
        else if ((meta as DatasetMeta).conflictStrategy === "OPTIMISTIC") optimistic.add(write.dataset);
        const current = stored ? { recordCount: (stored as UsageMeta).recordCount, sizeBytes: (stored as UsageMeta).sizeBytes } : await readTotals(db, write.dataset);
        startTotals.set(write.dataset, current);
        totals.set(write.dataset, current);
      }
      const before = await db.records.get([write.dataset, write.key]);
      const record = await applyOne(db, write, before, context, optimistic.has(write.dataset));
      totals.set(write.dataset, moveUsage(totals.get(write.dataset) as DatasetUsage, before, record));
      written.push(record);
    }
    const metaRows: MetaRow[] = [clockRow(context.clock)];
    for (const [dataset, end] of totals) {
      checkGrowth(startTotals.get(dataset) as DatasetUsage, end, context.limits);
      metaRows.push(usageRow(dataset, end));
    }
    await db.meta.bulkPut(metaRows);
    return written;
  });
}

/** Creates the dataset's meta row on its first write, within the dataset count limit. */
async function createDatasetMeta(db: IdentityDb, dataset: string, limits: Limits): Promise<void> {
  const known = await db.meta.where("id").startsWith("dataset:").count();
  checkDatasetCount(known + 1, limits);
  await db.meta.put(newDatasetMeta(dataset));
}

/** Writes one record and its outbox row (inside the batch's transaction). */
async function applyOne(
  db: IdentityDb,
  write: LocalWrite,
  before: LocalRecord | undefined,
  context: WriteContext,
  optimistic: boolean,
): Promise<LocalRecord> {
  // The server refuses it too; refusing here keeps the write out of the outbox.
  assertKindKept(before, { key: write.key, kind: write.kind, remove: write.op === "REMOVE" });
  const now = context.now();
  const clock = context.clock.tick();
  const incoming: RecordState = {
    key: write.key,
    value: write.op === "REMOVE" ? null : jsonWriteValue(write, clock),
    kind: write.op === "REMOVE" ? (before?.kind ?? write.kind) : write.kind,
    clock,
    lastModifiedBy: context.deviceId,
    deviceLastModifiedAt: now,
    deleted: write.op === "REMOVE",
  };
  // The new clock is after every clock seen, so a STRING write or a remove wins outright; a
  // YDOC update joins the stored document, a JSON write joins the stored fields. core decides,
  // as it does on the server.
  const local = incoming.kind === "JSON" && incoming.deleted ? jsonRemoval(incoming, before) : incoming;
  const state = before ? joinStates(toState(before), local) : local;
  const record: LocalRecord = {
    ...state,
    dataset: write.dataset,
    syncCount: before?.syncCount ?? 0,
    lastModifiedAt: before?.lastModifiedAt ?? 0,
  };
  const row: OutboxRow = {
    dataset: write.dataset,
    key: write.key,
    op: write.op,
    value: incoming.value,
    kind: incoming.kind,
    clock,
    baseSyncCount: record.syncCount,
    deviceLastModifiedAt: now,
  };
  // The synced version the write starts from, for a three-way merge of an OPTIMISTIC conflict.
  if (optimistic && (await db.outbox.where("[dataset+key]").equals([write.dataset, write.key]).count()) === 0) {
    row.base = before && before.syncCount > 0 ? toSyncRecord(before) : null;
  }
  await db.records.put(record);
  await db.outbox.add(row);
  return record;
}

/** The value a write sends: a JSON write's state at `clock`, else the value as given. */
function jsonWriteValue(write: LocalWrite, clock: string): string | null {
  if (write.kind !== "JSON" || write.json === undefined) return write.value;
  const state = "put" in write.json ? applyJsonPut(EMPTY_JSON_STATE, write.json.put, clock) : applyJsonUpdate(EMPTY_JSON_STATE, write.json.update, clock);
  return encodeJsonState(state);
}

/**
 * A removed JSON record stays a state (a removal at its clock), as on the server, so field
 * writes older than the removal stay hidden when they arrive later.
 */
function jsonRemoval(incoming: RecordState, before: LocalRecord | undefined): RecordState {
  const stored = before && !before.deleted && before.kind === "JSON" && before.value !== null ? decodeJsonState(before.value) : EMPTY_JSON_STATE;
  return { ...incoming, deleted: false, value: encodeJsonState(applyJsonRemove(stored, incoming.clock)) };
}

/** Saves the clock's latest value (inside the caller's transaction). */
export async function persistClock(db: IdentityDb, clock: WriteClock): Promise<void> {
  await db.meta.put(clockRow(clock));
}

/** The meta row persisting the clock's latest value. */
function clockRow(clock: WriteClock): ClockMeta {
  const last = clock.last;
  return { id: "clock", last: last ? formatClock(last) : null };
}

/**
 * Refuses a batch that grows the dataset past a limit (LIMIT_EXCEEDED, as the server). A batch
 * that shrinks or keeps an over-limit dataset passes, so a user can always delete back under it.
 */
function checkGrowth(before: DatasetUsage, after: DatasetUsage, limits: Limits): void {
  checkDatasetUsage(
    {
      recordCount: after.recordCount > before.recordCount ? after.recordCount : 0,
      sizeBytes: after.sizeBytes > before.sizeBytes ? after.sizeBytes : 0,
    },
    limits,
  );
}
