/**
 * Every GraphQL operation the client library sends, written once: its text and the sha256 of that
 * text (hex, computed at build time into `generated/client-operation-hashes.ts`). The client sends
 * the hash in Apollo's persisted-query shape (`extensions.persistedQuery`), the server looks the
 * text up by that hash (`server/graphql/use-client-operations.ts`), and a request's body carries
 * variables and 64 hex digits instead of a few hundred bytes of query. Both sides import this file.
 *
 * Changing a text changes its hash: run `npx tsx schema/generate-operation-hashes.ts` afterwards
 * (a unit test fails until the generated file matches). A client whose hash the server does not
 * know (a newer client, an older server) sends the text instead (`client/transport/persisted-call.ts`).
 */
import { CLIENT_OPERATION_HASHES } from "./generated/client-operation-hashes.js";

const RECORD = "key value kind syncCount clock lastModifiedBy lastModifiedAt deviceLastModifiedAt deleted";
const DATASET = "name syncCount recordCount sizeBytes conflictStrategy createdAt lastModifiedAt lastModifiedBy";
const LIMITS = "limits { maxDatasets maxRecords maxDatasetBytes maxClockSkewMs }";
const CHANGE = `dataset syncCount deviceId mutationId deleted behind records { ${RECORD} }`;

/** The operations' texts, by the name the client uses for each. */
export const CLIENT_OPERATION_TEXTS = {
  signIn: `mutation SignIn($input: SignInInput!) {
  signIn(input: $input) { identityId token expiresAt deviceSecret mergedIdentityIds
    ${LIMITS} }
}`,
  records: `query Records($dataset: String!, $sinceSyncCount: Int, $first: Int, $after: String, $shared: Boolean) {
  records(dataset: $dataset, sinceSyncCount: $sinceSyncCount, first: $first, after: $after, shared: $shared) {
    records { ${RECORD} } datasetSyncCount datasetExists deletedAfterSince mergedDatasetNames
    conflictStrategy syncSessionToken nextCursor
  }
}`,
  changes: `query Changes($cursor: String) {
  changes(cursor: $cursor) {
    cursor resync more datasets { name shared sinceSyncCount datasetSyncCount complete mergedDatasetNames
      conflictStrategy records { ${RECORD} } }
  }
}`,
  /** Sent as a POST or, by `client/transport/socket-push.ts`, over the live connection. */
  push: `mutation Push($input: PushRecordsInput!) {
  pushRecords(input: $input) {
    datasetSyncCount records { ${RECORD} } replayed
    conflicts { key patchSyncCount serverRecord { ${RECORD} } }
  }
}`,
  datasets: `query Datasets { datasets { ${DATASET} } }`,
  configureDataset: `mutation Configure($name: String!, $conflictStrategy: ConflictStrategy!) {
  configureDataset(name: $name, conflictStrategy: $conflictStrategy) { ${DATASET} }
}`,
  deleteDataset: `mutation Delete($name: String!, $shared: Boolean) { deleteDataset(name: $name, shared: $shared) { name deleted syncCount } }`,
  usage: `query Usage { usage { identityId datasetCount sizeBytes
  ${LIMITS} } }`,
  /** The identity's own datasets, over graphql-ws. */
  datasetChanged: `subscription DatasetChanged { datasetChanged { ${CHANGE} } }`,
  /** Every shared dataset the identity may read, over graphql-ws. */
  sharedDatasetChanged: `subscription SharedDatasetChanged { datasetChanged(shared: true) { ${CHANGE} } }`,
} as const;

/** The name of one client operation. */
export type ClientOperationName = keyof typeof CLIENT_OPERATION_TEXTS;

/** One client operation: its text and the lowercase hex sha256 of that text. */
export interface ClientOperation {
  readonly name: ClientOperationName;
  readonly text: string;
  readonly sha256Hash: string;
}

/** Every client operation, by name. */
export const CLIENT_OPERATIONS = Object.fromEntries(
  Object.entries(CLIENT_OPERATION_TEXTS).map(([name, text]) => [name, { name, text, sha256Hash: CLIENT_OPERATION_HASHES[name as ClientOperationName] }]),
) as { readonly [Name in ClientOperationName]: ClientOperation };

/** Apollo's persisted-query extension, as the client sends it instead of the text. */
export type PersistedQueryExtension = {
  persistedQuery: { version: 1; sha256Hash: string };
};

/** The `extensions` of a request that names `operation` by its hash. */
export function persistedQueryExtension(operation: ClientOperation): PersistedQueryExtension {
  return { persistedQuery: { version: 1, sha256Hash: operation.sha256Hash } };
}
