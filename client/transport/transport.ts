/**
 * The client's view of the server, as plain function types. The sync loop only ever calls a
 * `Transport`; `createGraphqlTransport` speaks GraphQL over `fetch`, and tests pass their own
 * (an in-memory one, or the real one wrapped to drop, duplicate or fail calls).
 *
 * Every call rejects with a `SyncpoolError` carrying the server's code, or a `NetworkError` when
 * the server could not be reached or answered with something that is not GraphQL (retryable).
 */
import type { ConflictStrategy, SyncRecord } from "../../core/types.js";
import type {
  ChangeFeed,
  Conflict as ServerConflict,
  DatasetInfo as RemoteDataset,
  DeleteDatasetResult,
  Login,
  PushRecordsInput as PushInput,
  PushResult,
  RecordPage,
  Session,
  Usage,
} from "../../schema/wire-types.js";

export type { ChangeFeed, DeleteDatasetResult, Login, PushInput, PushResult, RecordPage, RemoteDataset, ServerConflict, Session, Usage };

export interface SignInInput {
  identityPoolId: string;
  identityId?: string;
  deviceSecret?: string;
  logins?: Login[];
}

export interface RecordsArgs {
  dataset: string;
  sinceSyncCount: number;
  first?: number;
  after?: string | null;
}

/** The server operations the client uses. `token` is the bearer token from `signIn`. */
export interface Transport {
  signIn(input: SignInInput): Promise<Session>;
  records(token: string, args: RecordsArgs): Promise<RecordPage>;
  /**
   * Every readable dataset changed since `cursor` (null: none yet), in one request. Optional: a
   * transport without it syncs all datasets one by one.
   */
  changes?(token: string, cursor: string | null): Promise<ChangeFeed>;
  pushRecords(token: string, input: PushInput): Promise<PushResult>;
  datasets(token: string): Promise<RemoteDataset[]>;
  configureDataset(token: string, name: string, conflictStrategy: ConflictStrategy): Promise<RemoteDataset>;
  deleteDataset(token: string, name: string): Promise<DeleteDatasetResult>;
  usage(token: string): Promise<Usage>;
}
