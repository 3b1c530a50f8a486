/**
 * The record and patch shapes both sides share. These mirror the GraphQL contract in
 * `schema/type-defs.ts`; timestamps are epoch milliseconds.
 */

/** How a record's value is interpreted and merged. */
export type RecordKind = "STRING" | "YDOC" | "JSON";

/** What a patch does to its key. */
export type PatchOp = "REPLACE" | "REMOVE";

/** How a dataset resolves concurrent writes. */
export type ConflictStrategy = "CRDT" | "OPTIMISTIC";

/** A record as stored and as served: a tombstone has `deleted: true` and `value: null`. */
export interface SyncRecord {
  key: string;
  /** A string for STRING records, a base64 Yjs update for YDOC records, the encoded state (`encodeJsonState`) for JSON records, null when deleted. */
  value: string | null;
  kind: RecordKind;
  /** The dataset sync count of the push that last changed this record. */
  syncCount: number;
  /** Hybrid logical clock of the winning write (see `core/clock.ts`). */
  clock: string;
  /** Device id of the winning write. */
  lastModifiedBy: string;
  /** Server time the record last changed, epoch ms. */
  lastModifiedAt: number;
  /** Device time of the winning write, epoch ms. */
  deviceLastModifiedAt: number;
  deleted: boolean;
}

/** One change a device sends. */
export interface Patch {
  op: PatchOp;
  key: string;
  /** Required for REPLACE; ignored for REMOVE. */
  value?: string | null;
  /** Defaults to STRING. */
  kind?: RecordKind;
  /** Hybrid logical clock of the write; the server stamps one when absent. */
  clock?: string | null;
  /** OPTIMISTIC datasets: the record sync count this write was based on (0 for a new key). */
  syncCount?: number | null;
  /** Device time of the write, epoch ms. */
  deviceLastModifiedAt?: number | null;
}

/** Per-pool limits; `DEFAULT_LIMITS` in `core/limits.ts` holds the defaults. */
export interface Limits {
  maxDatasets: number;
  maxRecords: number;
  maxDatasetBytes: number;
  maxClockSkewMs: number;
}
