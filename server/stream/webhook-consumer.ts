/**
 * Webhooks are consumers: each event of the pool is POSTed to the URL, body = the event (the
 * `data` of the stream record) as JSON, signed like every request syncpool sends (`signature.ts`).
 * Any 2xx answer within the time limit is a delivery; anything else is a failure the runner
 * retries with backoff and, after the attempts, parks in the dead letters. A receiver that is down
 * therefore gets every event once it is back, in order per shard, at least once (use
 * `x-syncpool-event-id` to drop duplicates).
 */
import type { Consumer, StreamRecord } from "./consumer.js";
import type { PostSigned } from "./post-signed.js";

/** A webhook as configured on a pool (`stream.webhooks[]`). */
export interface WebhookSettings {
  /** Unique within the pool; the consumer is named `webhook:<pool>:<name>`. */
  name: string;
  url: string;
  secret: string;
  timeoutMs: number;
}

/** Headers that say which event a request carries. */
export const EVENT_HEADERS = {
  /** `<pool>/<shard>/<sequence>`: unique per event, the same on every retry. */
  eventId: "x-syncpool-event-id",
  pool: "x-syncpool-pool",
  shard: "x-syncpool-shard",
  sequence: "x-syncpool-sequence",
} as const;

/** The consumer name of a pool's webhook. */
export const webhookConsumerName = (poolId: string, name: string) => `webhook:${poolId}:${name}`;

/** The webhook `webhook` of pool `poolId` as a consumer. */
export function webhookConsumer(
  poolId: string,
  webhook: WebhookSettings,
  deps: { post: PostSigned; now: () => number; maxAttempts: number },
): Consumer {
  return {
    name: webhookConsumerName(poolId, webhook.name),
    kind: "webhook",
    accepts: (candidate) => candidate === poolId,
    maxAttempts: deps.maxAttempts,
    async deliver(record: StreamRecord) {
      const response = await deps.post(
        {
          url: webhook.url,
          secret: webhook.secret,
          body: JSON.stringify(record.data),
          timeoutMs: webhook.timeoutMs,
          headers: {
            [EVENT_HEADERS.eventId]: `${record.identityPoolId}/${record.shard}/${record.sequenceNumber}`,
            [EVENT_HEADERS.pool]: record.identityPoolId,
            [EVENT_HEADERS.shard]: String(record.shard),
            [EVENT_HEADERS.sequence]: record.sequenceNumber,
          },
          maxResponseBytes: 64 * 1024,
        },
        deps.now(),
      );
      if (response.status < 200 || response.status > 299) throw new Error(`webhook ${webhook.url} answered HTTP ${response.status}`);
    },
  };
}
