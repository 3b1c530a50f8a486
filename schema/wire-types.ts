/**
 * TypeScript shapes of the GraphQL contract's results and inputs that the server returns and the
 * client reads. They mirror `type-defs.ts` (timestamps as epoch ms); both sides import them from
 * here so the two can never drift apart.
 */
import type { ConflictStrategy, Limits, Patch, SyncRecord } from "../core/types.js";

/** A login from an identity provider: a provider name (or issuer host) and its token. */
export interface Login {
  provider: string;
  token: string;
}

/** What `signIn` answers: a bearer token, and for a new guest its device secret. */
export interface Session {
  identityId: string;
  token: string;
  expiresAt: number;
  deviceSecret: string | null;
  mergedIdentityIds: string[];
  /** The pool's limits (absent from servers that predate the field: clients keep their own). */
  limits?: Limits;
}

/** `pushRecords`' input. */
export interface PushRecordsInput {
  dataset: string;
  deviceId: string;
  mutationId: string;
  syncSessionToken?: string | null;
  patches: Patch[];
  /** True: the pool's shared dataset of that name (schema/PROTOCOL.md, Shared datasets). */
  shared?: boolean | null;
}

/** A stale patch of an OPTIMISTIC dataset, with the record the server holds. */
export interface Conflict {
  key: string;
  serverRecord: SyncRecord | null;
  patchSyncCount: number | null;
}

/** `pushRecords`' answer. */
export interface PushResult {
  datasetSyncCount: number;
  records: SyncRecord[];
  conflicts: Conflict[];
  replayed: boolean;
}

/** One page of a dataset's changes (`records`). */
export interface RecordPage {
  records: SyncRecord[];
  datasetSyncCount: number;
  datasetExists: boolean;
  deletedAfterSince: boolean;
  mergedDatasetNames: string[];
  conflictStrategy: ConflictStrategy;
  syncSessionToken: string;
  nextCursor: string | null;
}

/** A dataset as the server describes it (`datasets`, `dataset`). */
export interface DatasetInfo {
  name: string;
  syncCount: number;
  recordCount: number;
  sizeBytes: number;
  conflictStrategy: ConflictStrategy;
  createdAt: number;
  lastModifiedAt: number;
  lastModifiedBy: string | null;
}

/** `deleteDataset`'s answer. */
export interface DeleteDatasetResult {
  name: string;
  deleted: boolean;
  syncCount: number;
}

/** `usage`'s answer. */
export interface Usage {
  identityId: string;
  datasetCount: number;
  sizeBytes: number;
  limits: Limits;
}

/** One dataset's changes in a `changes` answer. */
export interface DatasetChanges {
  name: string;
  /** True: the pool's shared dataset of that name. */
  shared: boolean;
  /** `records` are every change after this sync count. */
  sinceSyncCount: number;
  /** The dataset's count when read: after applying `records`, a device is up to date to it. */
  datasetSyncCount: number;
  /**
   * False when the changes are not all here (too many for this answer, or the dataset was deleted
   * since): pull the dataset with `records` from the device's own count instead.
   */
  complete: boolean;
  records: SyncRecord[];
  mergedDatasetNames: string[];
  conflictStrategy: ConflictStrategy;
}

/** What `changes` answers: the datasets changed after the cursor, and the cursor to send next. */
export interface ChangeFeed {
  cursor: string;
  /** True: the cursor told nothing (absent, too old, another shard layout); pull every dataset, then use `cursor`. */
  resync: boolean;
  /** True: more changes follow; call again at once with `cursor`. */
  more: boolean;
  datasets: DatasetChanges[];
}
