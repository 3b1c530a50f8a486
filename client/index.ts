/**
 * syncpool/client: the public surface. Everything not exported here is internal and may change.
 *
 *   const client = createClient({ endpoint: "https://sync.example.com/graphql", identityPoolId: "default" });
 *   await client.signIn();
 *   await client.dataset("settings").put("theme", "dark");
 *
 * See docs/client.md.
 */
export { createClient, SyncClient, type DatasetSummary } from "./sync-client.js";
export type { ClientOptions } from "./options.js";
export { Dataset, type DatasetUsage, type PendingWrite } from "./dataset.js";
export type { Entries, TransactionDataset, WriteTransaction } from "./write-batch.js";
export type { SignInOptions, SignInResult, LoginsSource } from "./session.js";
export type { UserPoolOptions, UserPoolSignIn } from "./user-pool-account.js";
// Types only: the user-pool module itself is loaded on the first user-pool call.
export type { MfaType, UserPoolSignInResult, UserPoolTokens } from "./user-pool/user-pool-auth.js";
export type { ClientEvents, ClientEventName, ConflictReport, Listener, OverwrittenReport, OverwrittenSide, RejectedWrite } from "./events.js";
export type { Conflict, ConflictHandler } from "./sync/resolve-conflicts.js";
export type { SyncState } from "./sync/sync-loop.js";
export type { Observable, Observer, Unsubscribe } from "./follow-identity.js";
export { REMOTE_ORIGIN } from "./doc/doc-binding.js";
export { NetworkError, isNetworkError } from "./transport/network-error.js";
export { BadEndpointError, isBadEndpointError } from "./transport/bad-endpoint-error.js";
export { createGraphqlTransport, type FetchFunction, type GraphqlTransportOptions } from "./transport/graphql-transport.js";
export type {
  Transport,
  Login,
  Session,
  SignInInput,
  RecordPage,
  RecordsArgs,
  PushInput,
  PushResult,
  ServerConflict,
  RemoteDataset,
  DeleteDatasetResult,
  Usage,
} from "./transport/transport.js";
export { SyncpoolError, isSyncpoolError, ERROR_CODES, type ErrorCode } from "../core/errors.js";
export type { SyncRecord, RecordKind, ConflictStrategy, Limits, Patch, PatchOp } from "../core/types.js";
export type { FieldCondition, Query, QueryOrder, QueryRow, QueryScalar, QueryWhere } from "../core/query/index.js";
