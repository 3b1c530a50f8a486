/**
 * The client's view of the server, as plain function types. The sync loop only ever calls a
 * `Transport`; `createGraphqlTransport` speaks GraphQL over `fetch`, and tests pass their own
 * (an in-memory one, or the real one wrapped to drop, duplicate or fail calls).
 *
 * Every call rejects with a `SyncpoolError` carrying the server's code, or a `NetworkError` when
 * the server could not be reached or answered with something that is not GraphQL (retryable).
 */
import type { ConflictStrategy, Limits, Patch, SyncRecord } from "../../core/types.js";

/** A login from an identity provider: a provider name (or issuer host) and its token. */
export interface Login {
  provider: string;
  token: string;
}

export interface SignInInput {
  identityPoolId: string;
  identityId?: string;
  deviceSecret?: string;
  logins?: Login[];
}

/** What `signIn` answers: a bearer token, and for a new guest its device secret. */
export interface Session {
  identityId: string;
  token: string;
  expiresAt: number;
  deviceSecret: string | null;
  mergedIdentityIds: string[];
}

export interface RecordsArgs {
  dataset: string;
  sinceSyncCount: number;
  first?: number;
  after?: string | null;
}

/** One page of a dataset's changes (see `records` in schema/type-defs.ts). */
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

export interface PushInput {
  dataset: string;
  deviceId: string;
  mutationId: string;
  syncSessionToken?: string | null;
  patches: Patch[];
}

/** A stale patch of an OPTIMISTIC dataset, with the record the server holds. */
export interface ServerConflict {
  key: string;
  serverRecord: SyncRecord | null;
  patchSyncCount: number | null;
}

export interface PushResult {
  datasetSyncCount: number;
  records: SyncRecord[];
  conflicts: ServerConflict[];
  replayed: boolean;
}

/** A dataset as the server describes it. */
export interface RemoteDataset {
  name: string;
  syncCount: number;
  recordCount: number;
  sizeBytes: number;
  conflictStrategy: ConflictStrategy;
  createdAt: number;
  lastModifiedAt: number;
  lastModifiedBy: string | null;
}

export interface DeleteDatasetResult {
  name: string;
  deleted: boolean;
  syncCount: number;
}

export interface Usage {
  identityId: string;
  datasetCount: number;
  sizeBytes: number;
  limits: Limits;
}

/** The server operations the client uses. `token` is the bearer token from `signIn`. */
export interface Transport {
  signIn(input: SignInInput): Promise<Session>;
  records(token: string, args: RecordsArgs): Promise<RecordPage>;
  pushRecords(token: string, input: PushInput): Promise<PushResult>;
  datasets(token: string): Promise<RemoteDataset[]>;
  configureDataset(token: string, name: string, conflictStrategy: ConflictStrategy): Promise<RemoteDataset>;
  deleteDataset(token: string, name: string): Promise<DeleteDatasetResult>;
  usage(token: string): Promise<Usage>;
}
