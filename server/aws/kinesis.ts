/**
 * The read side of Kinesis Data Streams (AWS JSON 1.1, `X-Amz-Target: Kinesis_20131202.<Op>`) over
 * the event stream: one stream per pool, named by the pool id, with the pool's shards
 * (`shardId-000000000000`, ...). For the pool's developer credentials only. Records carry the
 * event body JSON as `Data` (base64 on the wire, as Kinesis sends blobs), the decimal sequence
 * number and the identity id as partition key, so a consumer written for Cognito Streams reads the
 * same events the GraphQL `streamRecords` query returns.
 *
 * Shard iterators are opaque, signed and expire after 5 minutes, as Kinesis's do; `NextShardIterator`
 * is a fresh one each read.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { PoolSettings } from "../identity/pool-settings.js";
import type { PoolRegistry } from "../identity/pools.js";
import type { StreamStore } from "../storage/stream-store.js";
import { ITERATOR_TYPES, readStreamRecords, resolveIterator, type IteratorType } from "../stream/read-stream.js";
import { requireDeveloper, type AwsPrincipal } from "./aws-auth.js";
import { AwsError } from "./aws-errors.js";
import { optionalString, requireString } from "./aws-request.js";

/** How long a shard iterator may be used. */
export const ITERATOR_TTL_MS = 5 * 60 * 1000;
const ACCOUNT = "000000000000";
const HASH_SPACE = 2n ** 128n;

/** What the operations need. */
export interface KinesisDeps {
  storage: StreamStore;
  pools: PoolRegistry;
  /** Key signing iterators (derived from the server's session secret). */
  iteratorKey: Uint8Array;
  now: () => number;
}

type Body = Record<string, unknown>;

/**
 * Runs one operation for `principal` (developer credentials).
 * @throws AwsError (unknown operation or stream, expired iterator, bad input), SyncpoolError.
 */
export async function kinesisOperation(deps: KinesisDeps, operation: string, body: Body, principal: AwsPrincipal): Promise<unknown> {
  const { pool } = requireDeveloper(principal, principal.pool.id);
  switch (operation) {
    case "ListStreams":
      return { StreamNames: [pool.id], HasMoreStreams: false, StreamSummaries: [{ ...(await streamHeader(deps, pool)), StreamModeDetails: { StreamMode: "PROVISIONED" } }] };
    case "DescribeStreamSummary":
      return {
        StreamDescriptionSummary: {
          ...(await streamHeader(deps, streamOf(pool, body))),
          RetentionPeriodHours: pool.stream.retentionHours,
          EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
          EncryptionType: "NONE",
          OpenShardCount: (await shardsOf(deps, pool)).length,
          ConsumerCount: 0,
        },
      };
    case "DescribeStream":
      return {
        StreamDescription: {
          ...(await streamHeader(deps, streamOf(pool, body))),
          Shards: await shardsOf(deps, pool),
          HasMoreShards: false,
          RetentionPeriodHours: pool.stream.retentionHours,
          EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
          EncryptionType: "NONE",
        },
      };
    case "ListShards":
      if (optionalString(body, "NextToken") === null) streamOf(pool, body);
      return { Shards: await shardsOf(deps, pool) };
    case "GetShardIterator":
      return getShardIterator(deps, streamOf(pool, body), body);
    case "GetRecords":
      return getRecords(deps, pool, body);
    default:
      throw new AwsError("UnknownOperationException", 400, `Operation ${operation} is not supported (syncpool serves the read side of Kinesis).`);
  }
}

/** The stream a request names (`StreamName`, or a `StreamARN` ending in `stream/<name>`): the developer's pool only. */
function streamOf(pool: PoolSettings, body: Body): PoolSettings {
  const arn = optionalString(body, "StreamARN", 2048);
  const name = arn !== null ? arn.slice(arn.lastIndexOf("stream/") + "stream/".length) : requireString(body, "StreamName", 128);
  if (name !== pool.id) throw new AwsError("ResourceNotFoundException", 400, `Stream ${name} under account ${ACCOUNT} not found.`);
  return pool;
}

async function streamHeader(deps: KinesisDeps, pool: PoolSettings): Promise<Record<string, unknown>> {
  const created = (await deps.pools.list()).find((view) => view.id === pool.id)?.createdAt ?? 0;
  return { StreamName: pool.id, StreamARN: `arn:aws:kinesis:${pool.region}:${ACCOUNT}:stream/${pool.id}`, StreamStatus: "ACTIVE", StreamCreationTimestamp: created / 1000 };
}

/** The pool's shards with nominal, even hash key ranges (events are placed by a hash of the identity id). */
async function shardsOf(deps: KinesisDeps, pool: PoolSettings): Promise<Record<string, unknown>[]> {
  const ranges = new Map((await deps.storage.streamShards(pool.id)).map((range) => [range.shard, range]));
  const count = Math.max(pool.stream.shards, ...[...ranges.keys()].map((shard) => shard + 1));
  return Array.from({ length: count }, (_, shard) => {
    const range = ranges.get(shard);
    const start = (HASH_SPACE * BigInt(shard)) / BigInt(count);
    const end = (HASH_SPACE * BigInt(shard + 1)) / BigInt(count) - 1n;
    return {
      ShardId: shardId(shard),
      HashKeyRange: { StartingHashKey: start.toString(), EndingHashKey: end.toString() },
      SequenceNumberRange: { StartingSequenceNumber: String(range?.firstSequence ?? 1) },
    };
  });
}

async function getShardIterator(deps: KinesisDeps, pool: PoolSettings, body: Body): Promise<unknown> {
  const shard = parseShardId(requireString(body, "ShardId", 128), pool);
  const type = requireString(body, "ShardIteratorType", 32);
  if (!(ITERATOR_TYPES as readonly string[]).includes(type)) throw new AwsError("InvalidArgumentException", 400, `ShardIteratorType must be one of ${ITERATOR_TYPES.join(", ")}.`);
  const timestamp = body["Timestamp"];
  const next = await resolveIterator(deps.storage, pool.id, shard, {
    type: type as IteratorType,
    sequenceNumber: optionalString(body, "StartingSequenceNumber", 128),
    timestamp: typeof timestamp === "number" ? Math.round(timestamp * 1000) : null,
  });
  return { ShardIterator: encodeShardIterator(deps, pool.id, shard, next) };
}

async function getRecords(deps: KinesisDeps, pool: PoolSettings, body: Body): Promise<unknown> {
  const { poolId, shard, next } = decodeShardIterator(deps, requireString(body, "ShardIterator", 4096));
  if (poolId !== pool.id) throw new AwsError("ResourceNotFoundException", 400, `Stream ${poolId} under account ${ACCOUNT} not found.`);
  const limit = body["Limit"];
  if (limit !== undefined && (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > 10_000)) {
    throw new AwsError("InvalidArgumentException", 400, "Limit must be an integer from 1 to 10000.");
  }
  const page = await readStreamRecords(deps.storage, poolId, shard, next, typeof limit === "number" ? limit : 1000);
  const last = page.records.at(-1);
  return {
    Records: page.records.map((record) => ({
      SequenceNumber: record.sequenceNumber,
      ApproximateArrivalTimestamp: record.approximateArrivalTimestamp / 1000,
      Data: Buffer.from(JSON.stringify(record.data), "utf8").toString("base64"),
      PartitionKey: record.partitionKey,
    })),
    NextShardIterator: encodeShardIterator(deps, poolId, shard, last ? Number(last.sequenceNumber) + 1 : next),
    MillisBehindLatest: page.millisBehindLatest,
  };
}

function shardId(shard: number): string {
  return `shardId-${String(shard).padStart(12, "0")}`;
}

function parseShardId(text: string, pool: PoolSettings): number {
  const match = /^(?:shardId-)?(\d{1,12})$/.exec(text);
  const shard = match ? Number(match[1]) : -1;
  if (shard < 0 || shard >= Math.max(pool.stream.shards, 64)) throw new AwsError("ResourceNotFoundException", 400, `Shard ${text} in stream ${pool.id} under account ${ACCOUNT} does not exist`);
  return shard;
}

function encodeShardIterator(deps: KinesisDeps, poolId: string, shard: number, next: number): string {
  const payload = Buffer.from(JSON.stringify([poolId, shard, next, deps.now() + ITERATOR_TTL_MS]), "utf8").toString("base64url");
  return `ski1.${payload}.${sign(deps, payload)}`;
}

function decodeShardIterator(deps: KinesisDeps, token: string): { poolId: string; shard: number; next: number } {
  const [version, payload, signature] = token.split(".");
  const expected = payload === undefined ? "" : sign(deps, payload);
  if (version !== "ski1" || signature === undefined || signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) {
    throw new AwsError("InvalidArgumentException", 400, "Invalid ShardIterator.");
  }
  const [poolId, shard, next, expiresAt] = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")) as [string, number, number, number];
  if (expiresAt <= deps.now()) throw new AwsError("ExpiredIteratorException", 400, `Iterator expired. The iterator was created at time ${new Date(expiresAt - ITERATOR_TTL_MS).toISOString()} while right now it is ${new Date(deps.now()).toISOString()} which is further in the future than the tolerated delay of 300000 milliseconds.`);
  return { poolId, shard, next };
}

function sign(deps: KinesisDeps, payload: string): string {
  return createHmac("sha256", deps.iteratorKey).update(payload).digest("base64url");
}
