/**
 * Acceptance: a Kinesis consumer on the real `@aws-sdk/client-kinesis` (ListShards, then per shard
 * GetShardIterator TRIM_HORIZON and a GetRecords loop) reads exactly the events the GraphQL stream
 * API returns, whether the changes came through Cognito Sync or GraphQL. Also the other iterator
 * types, the stream's description, and iterators that expire after 5 minutes.
 * Binds a port: the AWS SDK clients sign and send their own HTTP requests to an endpoint URL.
 */
import { randomBytes } from "node:crypto";
import { ListRecordsCommand, UpdateRecordsCommand } from "@aws-sdk/client-cognito-sync";
import {
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  ListStreamsCommand,
  type KinesisClient,
  type ShardIteratorType,
} from "@aws-sdk/client-kinesis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { awsClients, type AwsClients } from "../helpers/aws-clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { ADMIN_TOKEN, streamApi } from "../helpers/stream-api.js";
import { syncApi } from "../helpers/sync-api.js";

const POOL_ID = "us-east-1:5c1d0e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f";

let server: TestServer;
let aws: AwsClients;
let kinesis: KinesisClient;
let clockMs = Date.now();

beforeAll(async () => {
  const pool = poolSettingsSchema.parse({ id: POOL_ID, region: "us-east-1", stream: { shards: 3 }, developerCredentials: { accessKeyId: "AKIAKINESISTEST00001", secretAccessKey: "kinesis-developer-secret-0123456789abcdef" } });
  server = await startTestServer({ config: { pools: [pool], adminToken: ADMIN_TOKEN }, now: () => clockMs });
  aws = awsClients(server.url);
  kinesis = aws.kinesis({ accessKeyId: "AKIAKINESISTEST00001", secretAccessKey: "kinesis-developer-secret-0123456789abcdef" });

  // Changes from Cognito Sync (several identities, so several shards) and from GraphQL.
  for (let user = 0; user < 4; user++) {
    const secret = randomBytes(32).toString("base64url");
    const { identityId, credentials } = await aws.credentialsFor(POOL_ID, { "syncpool.guest": secret });
    const sync = aws.sync(credentials);
    for (let round = 0; round < 3; round++) {
      const page = await sync.send(new ListRecordsCommand({ IdentityPoolId: POOL_ID, IdentityId: identityId, DatasetName: "events", LastSyncCount: 0 }));
      const current = page.Records?.find((record) => record.Key === "n")?.SyncCount ?? 0;
      await sync.send(new UpdateRecordsCommand({
        IdentityPoolId: POOL_ID, IdentityId: identityId, DatasetName: "events", SyncSessionToken: page.SyncSessionToken!, DeviceId: "phone",
        RecordPatches: [{ Op: "replace", Key: "n", Value: String(round), SyncCount: current }],
      }));
    }
  }
  const { data } = await server.gql(`mutation { signIn(input: { identityPoolId: "${POOL_ID}" }) { token } }`);
  const graphql = syncApi(server.graphqlUrl, data.signIn.token);
  await graphql.push({ dataset: "events", deviceId: "web", mutationId: "m1", patches: [{ op: "REPLACE", key: "from", value: "graphql" }] });
});
afterAll(async () => {
  await server.close();
});

/** A Kinesis consumer: every shard from `type`, GetRecords until a page comes back empty. */
async function consume(type: ShardIteratorType = "TRIM_HORIZON", extra: { StartingSequenceNumber?: string; Timestamp?: Date } = {}, shardIds?: string[]) {
  const shards = shardIds ?? (await kinesis.send(new ListShardsCommand({ StreamName: POOL_ID }))).Shards!.map((shard) => shard.ShardId!);
  const read: Array<{ shardId: string; sequenceNumber: string; partitionKey: string; data: unknown }> = [];
  for (const shardId of shards) {
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: POOL_ID, ShardId: shardId, ShardIteratorType: type, ...extra }))).ShardIterator;
    for (;;) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 2 }));
      for (const record of page.Records ?? []) {
        read.push({ shardId, sequenceNumber: record.SequenceNumber!, partitionKey: record.PartitionKey!, data: JSON.parse(new TextDecoder().decode(record.Data)) });
      }
      expect(page.MillisBehindLatest).toBeGreaterThanOrEqual(0);
      iterator = page.NextShardIterator;
      if ((page.Records ?? []).length === 0) break;
    }
  }
  return read;
}

describe("the Kinesis read side", () => {
  it("reads exactly the events the GraphQL stream API returns", async () => {
    const viaKinesis = await consume();
    const viaGraphql = await streamApi(server.graphqlUrl).readPool(POOL_ID);
    expect(viaKinesis.length).toBe(4 * 3 + 1);
    expect(viaKinesis).toEqual(
      viaGraphql.map((record) => ({ shardId: `shardId-${String(record.shard).padStart(12, "0")}`, sequenceNumber: record.sequenceNumber, partitionKey: record.partitionKey, data: record.data })),
    );
    expect(viaKinesis[0]!.data).toMatchObject({ identityPoolId: POOL_ID, dataSetName: "events", operation: "replace", payloadType: "Inline" });
  });

  it("describes one stream per pool with the pool's shards", async () => {
    expect((await kinesis.send(new ListStreamsCommand({}))).StreamNames).toEqual([POOL_ID]);
    const summary = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: POOL_ID }))).StreamDescriptionSummary!;
    expect(summary).toMatchObject({ StreamName: POOL_ID, StreamStatus: "ACTIVE", OpenShardCount: 3, RetentionPeriodHours: 24 });
    const description = (await kinesis.send(new DescribeStreamCommand({ StreamName: POOL_ID }))).StreamDescription!;
    expect(description.Shards!.map((shard) => shard.ShardId)).toEqual(["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]);
    const unknown = await kinesis.send(new DescribeStreamCommand({ StreamName: "other" })).catch((error: Error) => error);
    expect((unknown as Error).name).toBe("ResourceNotFoundException");
  });

  it("starts at LATEST, AT_ and AFTER_SEQUENCE_NUMBER and AT_TIMESTAMP as Kinesis does", async () => {
    const all = await consume();
    // The busiest shard (identities hash to shards; 13 events over 3 shards put at least 5 in one).
    const counts = new Map<string, number>();
    for (const record of all) counts.set(record.shardId, (counts.get(record.shardId) ?? 0) + 1);
    const shardId = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const ofShard = all.filter((record) => record.shardId === shardId);
    expect(ofShard.length).toBeGreaterThanOrEqual(3);
    expect(await consume("LATEST", {}, [shardId])).toEqual([]);
    expect(await consume("AT_SEQUENCE_NUMBER", { StartingSequenceNumber: ofShard[1]!.sequenceNumber }, [shardId])).toEqual(ofShard.slice(1));
    expect(await consume("AFTER_SEQUENCE_NUMBER", { StartingSequenceNumber: ofShard[1]!.sequenceNumber }, [shardId])).toEqual(ofShard.slice(2));
    expect(await consume("AT_TIMESTAMP", { Timestamp: new Date(0) }, [shardId])).toEqual(ofShard);
  });

  it("expires shard iterators after 5 minutes", async () => {
    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: POOL_ID, ShardId: "shardId-000000000000", ShardIteratorType: "TRIM_HORIZON" }));
    clockMs += 5 * 60 * 1000 + 1000;
    try {
      const late = aws.kinesis({ accessKeyId: "AKIAKINESISTEST00001", secretAccessKey: "kinesis-developer-secret-0123456789abcdef" });
      late.config.systemClockOffset = clockMs - Date.now();
      const error = await late.send(new GetRecordsCommand({ ShardIterator })).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ExpiredIteratorException);
    } finally {
      clockMs = Date.now();
    }
  });
});
