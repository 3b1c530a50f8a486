/**
 * The rows of an identity's database. `records` holds the local view (server state merged with
 * this device's pending writes), `outbox` the writes not yet acknowledged, `meta` one row per
 * dataset plus the persisted clock.
 */
import type { ConflictStrategy, Patch, PatchOp, RecordKind, SyncRecord } from "../../core/types.js";

/**
 * A record as this device holds it. `syncCount` is the server sync count of the version this
 * device last saw (0 for a key the server has not acknowledged): the base an OPTIMISTIC write
 * names. `lastModifiedAt` is the server time of that version (0 before the first ack).
 */
export interface LocalRecord extends SyncRecord {
  dataset: string;
}

/** A local write waiting for the server, in write order (`seq`). */
export interface OutboxRow {
  /** Auto-incremented; absent before insertion. */
  seq?: number;
  dataset: string;
  key: string;
  op: PatchOp;
  /** STRING: the value; YDOC: the incremental Yjs update (base64); REMOVE: null. */
  value: string | null;
  kind: RecordKind;
  clock: string;
  /** The record's server sync count when the write was made (OPTIMISTIC base). */
  baseSyncCount: number;
  deviceLastModifiedAt: number;
  /**
   * OPTIMISTIC datasets, on the first pending write of a key: the record as last synced before
   * it (null for a key the server did not have), the base of a three-way merge.
   */
  base?: SyncRecord | null;
}

/**
 * A push batch, stored before it is sent: after a crash or a lost answer the same `mutationId`
 * and patches go out again, so the server applies the batch at most once.
 */
export interface InFlightBatch {
  mutationId: string;
  /** The outbox rows the batch covers; removed when the server acknowledges it. */
  seqs: number[];
  patches: Patch[];
}

/** Per dataset bookkeeping. */
export interface DatasetMeta {
  /** `dataset:<name>`. */
  id: string;
  dataset: string;
  /** Everything up to this server sync count has been pulled and applied. */
  pulledSyncCount: number;
  /** Learned from the server (pull answers or configure); undefined until known. */
  conflictStrategy?: ConflictStrategy;
  inFlight?: InFlightBatch | null;
  /** Deleted locally; the server delete has not been sent yet. */
  pendingDelete?: boolean;
}

/** The persisted clock: the latest clock this device issued or received. */
export interface ClockMeta {
  id: "clock";
  last: string | null;
}

/** A dataset's running usage totals (see `usage-totals.ts`); absent means "recount". */
export interface UsageMeta {
  /** `usage:<dataset>`. */
  id: string;
  recordCount: number;
  sizeBytes: number;
}

/**
 * Which tab leads sync where there are no Web Locks (see `store/lease.ts`). Absent: nobody leads.
 */
export interface LeaseMeta {
  id: "lease";
  /** The leading tab's random id. */
  holder: string;
  /** Epoch ms; after it any tab may take the lead. */
  expiresAt: number;
  /** A follower stored writes and asks the leader for a pass (there may be no channel to ask on). */
  syncWanted?: boolean;
}

/**
 * Where this device is in the server's change feed (`changes`): every change before `cursor` has
 * been applied. Absent until a full pass succeeded once.
 */
export interface ChangesCursorMeta {
  id: "changes";
  cursor: string;
}

export type MetaRow = DatasetMeta | ClockMeta | UsageMeta | LeaseMeta | ChangesCursorMeta;

/** The meta row id of a dataset. Dataset names cannot contain the reserved id `clock`'s form. */
export function datasetMetaId(dataset: string): string {
  return `dataset:${dataset}`;
}

/** A fresh meta row for a dataset this device has not synced yet. */
export function newDatasetMeta(dataset: string): DatasetMeta {
  return { id: datasetMetaId(dataset), dataset, pulledSyncCount: 0, inFlight: null };
}
