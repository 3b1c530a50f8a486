/**
 * The GraphQL contract of the sync server. Clients and servers both read this file; the prose
 * rules that types cannot say (ordering, idempotency, cursors) are in `schema/PROTOCOL.md`.
 */
export const typeDefs = /* GraphQL */ `
"""Epoch milliseconds, as a JSON number."""
scalar Timestamp

enum RecordKind {
  "A plain string value, merged as a last-writer-wins register under a hybrid logical clock."
  STRING
  "A base64 Yjs update; concurrent updates merge."
  YDOC
  "A JSON object merged per field; the value is its encoded state (schema/PROTOCOL.md, JSON records)."
  JSON
}

enum PatchOp {
  REPLACE
  REMOVE
}

enum ConflictStrategy {
  "Merge without conflicts: STRING by clock, YDOC by Yjs, JSON per field. The default."
  CRDT
  "Cognito-style: a patch names the record sync count it was based on; a stale one rejects the push."
  OPTIMISTIC
}

type Query {
  "The caller's live datasets."
  datasets: [Dataset!]!
  "One of the caller's datasets, or null when it does not exist."
  dataset(name: String!): Dataset
  "The caller's usage against the pool's limits."
  usage: Usage!
  """
  Records of a dataset changed after sinceSyncCount, tombstones included, ordered by
  (syncCount, key) and paged by cursor. An absent dataset answers datasetExists: false.
  shared: true reads the pool's shared dataset of that name instead (schema/PROTOCOL.md, Shared datasets).
  """
  records(dataset: String!, sinceSyncCount: Int = 0, first: Int = 500, after: String, shared: Boolean = false): RecordPage!
  """
  What changed since cursor in every dataset of the caller and every shared dataset it may read, in
  one answer: each changed dataset's records changed since, and the cursor to send next time.
  Without a cursor (or with one too old) the answer says resync: pull each dataset with records,
  then use the new cursor. first caps the records in one answer (schema/PROTOCOL.md, Change feed).
  """
  changes(cursor: String, first: Int = 500): ChangeFeed!
  "Admin: every identity pool."
  identityPools: [IdentityPool!]!
}

type Mutation {
  "Creates a guest identity, or signs a returning one in; returns a short-lived token."
  signIn(input: SignInInput!): Session!
  "Applies a batch of patches to one dataset, all or nothing, idempotently on (identity, deviceId, mutationId)."
  pushRecords(input: PushRecordsInput!): PushResult!
  "Sets a dataset's conflict strategy, creating the dataset when it does not exist."
  configureDataset(name: String!, conflictStrategy: ConflictStrategy!): Dataset!
  "Deletes a dataset and its records; devices that pull from an older count see deletedAfterSince."
  deleteDataset(name: String!, shared: Boolean = false): DeleteDatasetResult!
  "Admin: creates an identity pool."
  createIdentityPool(input: CreateIdentityPoolInput!): IdentityPool!
}

input LoginInput {
  "A provider name or issuer host configured on the pool."
  provider: String!
  token: String!
}

input SignInInput {
  identityPoolId: String!
  "A returning guest's identity id (with its deviceSecret)."
  identityId: String
  deviceSecret: String
  logins: [LoginInput!]
}

type Session {
  identityId: String!
  "Bearer token (ES256 JWT) for every data operation."
  token: String!
  expiresAt: Timestamp!
  "Returned once, when a guest identity is created. Store it: it cannot be recovered."
  deviceSecret: String
  "Identities merged into this one during this sign-in."
  mergedIdentityIds: [String!]!
  "The pool's limits, so clients check writes against what this server enforces."
  limits: Limits!
}

type Record {
  key: String!
  "A string (STRING), a base64 Yjs update (YDOC), an encoded JSON state (JSON), or null when deleted."
  value: String
  kind: RecordKind!
  "The dataset sync count of the push that last changed the record."
  syncCount: Int!
  "Hybrid logical clock of the winning write: <wallMs 15 digits>-<counter 6 digits>-<deviceId>."
  clock: String!
  "Device id of the winning write."
  lastModifiedBy: String!
  "Server time of the last change."
  lastModifiedAt: Timestamp!
  "Device time of the winning write."
  deviceLastModifiedAt: Timestamp!
  deleted: Boolean!
}

type RecordPage {
  records: [Record!]!
  "The dataset's sync count when this page was read. After the last page, a device is up to date to it."
  datasetSyncCount: Int!
  datasetExists: Boolean!
  "True when the dataset was deleted after sinceSyncCount: drop local records and pull from 0."
  deletedAfterSince: Boolean!
  """
  Conflict copies (<name>.merged.<identityId>) that identity merges made of this dataset since
  sinceSyncCount: the merged identity's records that differed, for the app to resolve.
  """
  mergedDatasetNames: [String!]!
  conflictStrategy: ConflictStrategy!
  "Opaque token tying a following push to this pull; optional in pushRecords."
  syncSessionToken: String!
  "Pass as 'after' for the next page; null on the last page."
  nextCursor: String
}

type ChangeFeed {
  "Send as cursor next time. Opaque."
  cursor: String!
  "True when the cursor told nothing (absent, older than the stream keeps, another shard layout): pull every dataset, then use cursor."
  resync: Boolean!
  "True when more changes follow: call again at once with cursor."
  more: Boolean!
  datasets: [DatasetChanges!]!
}

type DatasetChanges {
  name: String!
  "True: the pool's shared dataset of that name."
  shared: Boolean!
  "records are every change of the dataset after this sync count."
  sinceSyncCount: Int!
  "The dataset's sync count when read. After applying records, a device is up to date to it."
  datasetSyncCount: Int!
  """
  False when the changes are not all here (more than fit in this answer, or the dataset was deleted
  since): pull this dataset with records from the device's own count.
  """
  complete: Boolean!
  records: [Record!]!
  mergedDatasetNames: [String!]!
  conflictStrategy: ConflictStrategy!
}

input PatchInput {
  op: PatchOp!
  key: String!
  "Required for REPLACE; ignored for REMOVE. For JSON: the encoded state of the device's pending writes to the key."
  value: String
  kind: RecordKind = STRING
  "Hybrid logical clock of the write; stamped by the server when absent. Ignored for a JSON REPLACE (its state carries its clocks)."
  clock: String
  "OPTIMISTIC datasets: the record sync count the write was based on (0 for a new key)."
  syncCount: Int
  deviceLastModifiedAt: Timestamp
}

input PushRecordsInput {
  dataset: String!
  deviceId: String!
  "Unique per device and batch; a retry with the same id returns the first answer."
  mutationId: String!
  syncSessionToken: String
  patches: [PatchInput!]!
  "True: the pool's shared dataset of that name, written as the pool's sharedDatasets allow."
  shared: Boolean = false
}

type Conflict {
  key: String!
  "The server's record (null when the key never existed)."
  serverRecord: Record
  "The sync count the patch was based on."
  patchSyncCount: Int
}

type PushResult {
  datasetSyncCount: Int!
  "The patched records as stored after the merge (a losing patch shows the winner)."
  records: [Record!]!
  "OPTIMISTIC datasets: stale patches. When non-empty nothing was committed."
  conflicts: [Conflict!]!
  "True when this answer is the stored answer to an earlier push with the same mutation id."
  replayed: Boolean!
}

type Dataset {
  name: String!
  syncCount: Int!
  recordCount: Int!
  sizeBytes: Int!
  conflictStrategy: ConflictStrategy!
  createdAt: Timestamp!
  lastModifiedAt: Timestamp!
  lastModifiedBy: String
}

type DeleteDatasetResult {
  name: String!
  "False when there was no such dataset."
  deleted: Boolean!
  "The sync count that marks the deletion."
  syncCount: Int!
}

type Usage {
  identityId: String!
  datasetCount: Int!
  sizeBytes: Int!
  limits: Limits!
}

type Limits {
  maxDatasets: Int!
  maxRecords: Int!
  maxDatasetBytes: Int!
  maxClockSkewMs: Int!
}

type IdentityPool {
  id: String!
  region: String!
  allowGuests: Boolean!
  limits: Limits!
  createdAt: Timestamp!
}

input LimitsInput {
  maxDatasets: Int
  maxRecords: Int
  maxDatasetBytes: Int
  maxClockSkewMs: Int
}

input CreateIdentityPoolInput {
  "Generated as <region>:<uuid> when absent."
  id: String
  region: String
  allowGuests: Boolean
  limits: LimitsInput
}
`;
