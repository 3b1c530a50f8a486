/**
 * The stream's admin API over real HTTP, for integration tests: reading shards with iterators,
 * reading a whole pool, consumer progress, dead letters, bulk publish; and `waitFor` for the
 * after-commit work that tests observe.
 *
 *   const stream = streamApi(server, ADMIN_TOKEN);
 *   const events = await stream.readPool("default");
 */
import type { StreamEventBody } from "../../server/stream/event-body.js";
import { syncApi, type Endpoint } from "./sync-api.js";

/** The admin token test servers are started with (`config: { adminToken: ADMIN_TOKEN }`). */
export const ADMIN_TOKEN = "admin-token-for-stream-tests-0123456789";

export interface StreamRecordAnswer {
  shard: number;
  sequenceNumber: string;
  partitionKey: string;
  approximateArrivalTimestamp: number;
  data: StreamEventBody;
}

export interface PageAnswer {
  records: StreamRecordAnswer[];
  nextIterator: string;
  millisBehindLatest: number;
}

export interface IteratorInput {
  type: "TRIM_HORIZON" | "LATEST" | "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER" | "AT_TIMESTAMP";
  sequenceNumber?: string;
  timestamp?: number;
}

const RECORD = "shard sequenceNumber partitionKey approximateArrivalTimestamp data";

/** Stream admin calls against `endpoint` with `token` (the admin token unless testing refusal). */
export function streamApi(endpoint: Endpoint, token: string | undefined = ADMIN_TOKEN) {
  const { call } = syncApi(endpoint, token);
  const api = {
    call,
    async shards(pool: string) {
      const data = await call<{ streamShards: Array<{ shard: number; firstSequenceNumber: string | null; lastSequenceNumber: string | null; lastArrivalTimestamp: number | null }> }>(
        `query ($pool: String!) { streamShards(identityPoolId: $pool) { shard firstSequenceNumber lastSequenceNumber lastArrivalTimestamp } }`,
        { pool },
      );
      return data.streamShards;
    },
    async records(pool: string, shard: number, from: { iterator: IteratorInput } | { nextIterator: string }, limit?: number): Promise<PageAnswer> {
      const data = await call<{ streamRecords: PageAnswer }>(
        `query ($pool: String!, $shard: Int!, $iterator: ShardIteratorInput, $next: String, $limit: Int) {
          streamRecords(identityPoolId: $pool, shard: $shard, iterator: $iterator, nextIterator: $next, limit: $limit) {
            records { ${RECORD} } nextIterator millisBehindLatest } }`,
        { pool, shard, iterator: "iterator" in from ? from.iterator : null, next: "nextIterator" in from ? from.nextIterator : null, limit },
      );
      return data.streamRecords;
    },
    /** Every retained record of one shard, following nextIterator. */
    async readShard(pool: string, shard: number, iterator: IteratorInput = { type: "TRIM_HORIZON" }): Promise<StreamRecordAnswer[]> {
      const all: StreamRecordAnswer[] = [];
      let page = await api.records(pool, shard, { iterator }, 1000);
      while (page.records.length > 0) {
        all.push(...page.records);
        page = await api.records(pool, shard, { nextIterator: page.nextIterator }, 1000);
      }
      return all;
    },
    /** Every retained record of every shard of the pool. */
    async readPool(pool: string): Promise<StreamRecordAnswer[]> {
      const all: StreamRecordAnswer[] = [];
      for (const { shard } of await api.shards(pool)) all.push(...(await api.readShard(pool, shard)));
      return all;
    },
    async consumers() {
      const data = await call<{ streamConsumers: Array<{ name: string; kind: string; shards: Array<{ identityPoolId: string; shard: number; checkpoint: string; lastSequenceNumber: string; attempts: number; lastError: string | null }> }> }>(
        `{ streamConsumers { name kind shards { identityPoolId shard checkpoint lastSequenceNumber attempts lastError } } }`,
      );
      return data.streamConsumers;
    },
    async deadLetters(consumer?: string) {
      const data = await call<{ deadLetters: Array<{ id: string; consumer: string; shard: number; sequenceNumber: string; attempts: number; lastError: string; record: StreamRecordAnswer }> }>(
        `query ($consumer: String) { deadLetters(consumer: $consumer) { id consumer shard sequenceNumber attempts lastError record { ${RECORD} } } }`,
        { consumer },
      );
      return data.deadLetters;
    },
    async replay(id: string) {
      const data = await call<{ replayDeadLetter: { delivered: boolean; error: string | null; deadLetter: { attempts: number } | null } }>(
        `mutation ($id: ID!) { replayDeadLetter(id: $id) { delivered error deadLetter { attempts } } }`,
        { id },
      );
      return data.replayDeadLetter;
    },
    async drop(id: string) {
      return (await call<{ dropDeadLetter: boolean }>(`mutation ($id: ID!) { dropDeadLetter(id: $id) }`, { id })).dropDeadLetter;
    },
    async bulkPublish(pool: string) {
      const fields = "identityPoolId status startedAt finishedAt total published failureMessage";
      return (await call<{ bulkPublish: Record<string, unknown> }>(`mutation ($pool: String!) { bulkPublish(identityPoolId: $pool) { ${fields} } }`, { pool })).bulkPublish;
    },
    async bulkPublishDetails(pool: string) {
      const fields = "identityPoolId status startedAt finishedAt total published failureMessage";
      return (await call<{ bulkPublishDetails: Record<string, unknown> }>(`query ($pool: String!) { bulkPublishDetails(identityPoolId: $pool) { ${fields} } }`, { pool })).bulkPublishDetails;
    },
    /** Resolves once every shard `consumer` has seen is caught up (checkpoint = last sequence) and has seen `minEvents`. */
    async waitForConsumer(consumer: string, minEvents: number, timeoutMs = 10_000) {
      await waitFor(async () => {
        const status = (await api.consumers()).find((candidate) => candidate.name === consumer);
        const shards = status?.shards ?? [];
        const seen = shards.reduce((sum, shard) => sum + Number(shard.lastSequenceNumber), 0);
        return seen >= minEvents && shards.every((shard) => shard.checkpoint === shard.lastSequenceNumber);
      }, timeoutMs);
    },
  };
  return api;
}

/** Polls `check` every 20 ms until it returns true; throws after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
