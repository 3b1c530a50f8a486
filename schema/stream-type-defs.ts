/**
 * The event stream's part of the GraphQL contract (admin token only): reading shards with
 * Kinesis-style iterators, bulk publish, stream consumers and their dead letters. It extends the
 * core contract in `type-defs.ts`; docs/events.md explains the event format and the semantics.
 */
export const streamTypeDefs = /* GraphQL */ `
"""Any JSON value (a stream event's data: see docs/events.md)."""
scalar JSON

enum ShardIteratorType {
  "The oldest event still retained."
  TRIM_HORIZON
  "Just after the newest event: only events appended from now on."
  LATEST
  "The event with sequenceNumber (or the next one retained)."
  AT_SEQUENCE_NUMBER
  "The event after sequenceNumber."
  AFTER_SEQUENCE_NUMBER
  "The first event that arrived at or after timestamp."
  AT_TIMESTAMP
}

input ShardIteratorInput {
  type: ShardIteratorType!
  "Decimal sequence number, for AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER."
  sequenceNumber: String
  "Epoch ms, for AT_TIMESTAMP."
  timestamp: Timestamp
}

type StreamShard {
  shard: Int!
  "The oldest retained event's sequence number; null when the shard holds none."
  firstSequenceNumber: String
  "The newest event's sequence number; null before the first."
  lastSequenceNumber: String
  "When the newest event arrived; null before the first."
  lastArrivalTimestamp: Timestamp
}

type StreamRecord {
  shard: Int!
  "Decimal string, gap-free and increasing in commit order within the shard."
  sequenceNumber: String!
  "The identity id the shard was chosen by."
  partitionKey: String!
  approximateArrivalTimestamp: Timestamp!
  "The event, in Cognito Streams format plus deviceId, mutationId and origin."
  data: JSON!
}

type StreamRecordsPage {
  records: [StreamRecord!]!
  "Pass back as nextIterator (with the same pool and shard) to continue; never null."
  nextIterator: String!
  "How far the last record returned is behind the newest event of the shard; 0 when caught up."
  millisBehindLatest: Float!
}

enum BulkPublishStatus {
  NOT_STARTED
  IN_PROGRESS
  SUCCEEDED
  FAILED
}

type BulkPublishDetails {
  identityPoolId: String!
  status: BulkPublishStatus!
  startedAt: Timestamp
  finishedAt: Timestamp
  "Live datasets to publish (datasets created while it runs are counted as they are published)."
  total: Int!
  published: Int!
  failureMessage: String
}

type StreamConsumerShard {
  identityPoolId: String!
  shard: Int!
  "Every event up to this sequence number is done (delivered or dead-lettered); 0 before the first."
  checkpoint: String!
  "The newest sequence number this server has seen in the shard."
  lastSequenceNumber: String!
  "Failures of the event being retried now; 0 when none."
  attempts: Int!
  lastError: String
}

type StreamConsumer {
  name: String!
  "handler, webhook or nats."
  kind: String!
  shards: [StreamConsumerShard!]!
}

type DeadLetter {
  id: ID!
  consumer: String!
  identityPoolId: String!
  shard: Int!
  sequenceNumber: String!
  attempts: Int!
  lastError: String!
  failedAt: Timestamp!
  record: StreamRecord!
}

type ReplayDeadLetterResult {
  delivered: Boolean!
  "The consumer's error when it failed again."
  error: String
  "The dead letter as it is now; null once delivered (it is removed)."
  deadLetter: DeadLetter
}

extend type Query {
  "Admin: the shards of a pool's stream (every shard of its current count, and older ones with events)."
  streamShards(identityPoolId: String!): [StreamShard!]!
  """
  Admin: records of one shard, from an iterator (first read) or a nextIterator (following reads):
  pass exactly one of them.
  """
  streamRecords(identityPoolId: String!, shard: Int!, iterator: ShardIteratorInput, nextIterator: String, limit: Int = 100): StreamRecordsPage!
  "Admin: the latest bulk publish of a pool and its progress."
  bulkPublishDetails(identityPoolId: String!): BulkPublishDetails!
  "Admin: the stream consumers running on this server, with their progress per shard."
  streamConsumers: [StreamConsumer!]!
  "Admin: events consumers gave up on, oldest first."
  deadLetters(consumer: String, identityPoolId: String, first: Int = 100, after: ID): [DeadLetter!]!
}

extend type Mutation {
  "Admin: publishes every live dataset of the pool into its stream (origin bulk-publish), in the background."
  bulkPublish(identityPoolId: String!): BulkPublishDetails!
  "Admin: delivers a dead letter to its consumer again, now."
  replayDeadLetter(id: ID!): ReplayDeadLetterResult!
  "Admin: forgets a dead letter; false when there was none."
  dropDeadLetter(id: ID!): Boolean!
}
`;
