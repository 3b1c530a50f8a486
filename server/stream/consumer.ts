/**
 * What a stream consumer is. In-process handlers (`createSyncpoolServer(config, {handlers})`),
 * webhooks and the NATS relay are all consumers: named, checkpointed per shard in the database,
 * fed every event of their pools in order per shard, at least once. The runner
 * (`consumer-runner.ts`) does the feeding; a consumer only says how to deliver one event.
 */
import type { StreamEventRow } from "../storage/stream-store.js";
import type { StreamEventBody } from "./event-body.js";

/** A stream record as consumers (and `streamRecords` readers) receive it. */
export interface StreamRecord {
  identityPoolId: string;
  shard: number;
  /** Decimal string; compare as integers (BigInt), not as text. */
  sequenceNumber: string;
  /** The identity id the shard was chosen by. */
  partitionKey: string;
  /** When the event was appended, epoch ms. */
  approximateArrivalTimestamp: number;
  /** The event (docs/events.md). */
  data: StreamEventBody;
}

/**
 * An in-process handler. Contract:
 * - `handle` is called once per event of its pools, in sequence order within each shard, never
 *   for two events of one shard at once (shards run concurrently);
 * - resolving means done: the event is checkpointed and not offered again;
 * - throwing (or rejecting) means not done: the same event is offered again after a capped
 *   exponential backoff, and after `maxAttempts` failures it is moved to the dead letters
 *   (listed, replayed and dropped through the admin API) and the shard moves on;
 * - at least once: after a crash, events handled since the last checkpoint are offered again, so
 *   `handle` must tolerate seeing an event twice (the sequence number identifies it);
 * - there is no time limit: a `handle` that never settles stalls its shard (give your own calls
 *   timeouts).
 */
export interface StreamHandler {
  /** Unique among consumers; checkpoints are stored under it, so a new name starts from the oldest retained event. */
  name: string;
  /** Pools to consume; every pool when omitted. */
  pools?: readonly string[];
  /** Failures before an event goes to the dead letters; default from `SYNCPOOL_STREAM_MAX_ATTEMPTS`. */
  maxAttempts?: number;
  handle(record: StreamRecord): Promise<void> | void;
}

/** What the runner drives: a handler, a webhook or the NATS relay. */
export interface Consumer {
  name: string;
  /** `handler`, `webhook` or `nats`, for the admin API. */
  kind: string;
  /** True for pools this consumer reads. */
  accepts(poolId: string): boolean;
  maxAttempts: number;
  /** Delivers one event; throwing means "not delivered, try again". */
  deliver(record: StreamRecord): Promise<void>;
  /** Releases connections when the server stops. */
  close?(): Promise<void>;
}

/** Consumer names: stored as keys and shown in logs and URLs. */
export const CONSUMER_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A stored event as consumers see it. */
export function toStreamRecord(row: StreamEventRow): StreamRecord {
  return {
    identityPoolId: row.poolId,
    shard: row.shard,
    sequenceNumber: String(row.sequence),
    partitionKey: row.partitionKey,
    approximateArrivalTimestamp: row.arrivedAt,
    data: JSON.parse(row.data) as StreamEventBody,
  };
}

/** An in-process handler as a consumer. */
export function handlerConsumer(handler: StreamHandler, defaultMaxAttempts: number): Consumer {
  if (!CONSUMER_NAME_PATTERN.test(handler.name)) {
    throw new Error(`stream handler name "${handler.name}" must match ${String(CONSUMER_NAME_PATTERN)}`);
  }
  const pools = handler.pools ? new Set(handler.pools) : null;
  return {
    name: handler.name,
    kind: "handler",
    accepts: (poolId) => pools === null || pools.has(poolId),
    maxAttempts: handler.maxAttempts ?? defaultMaxAttempts,
    deliver: async (record) => {
      await handler.handle(structuredClone(record)); // a handler may keep or edit what it is given
    },
  };
}
