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
