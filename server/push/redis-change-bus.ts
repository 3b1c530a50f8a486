/**
 * The change bus over Redis pub/sub (`REDIS_URL`): for deployments that run Redis anyway, or whose
 * PostgreSQL sits behind a pooler that does not keep LISTEN sessions (PgBouncer in transaction
 * mode). Two connections per instance: a subscriber (a subscribed Redis connection cannot publish)
 * and a publisher. One publisher connection keeps this instance's changes in publish order.
 *
 * ioredis reconnects on its own, with capped backoff, and subscribes again. While the publisher is
 * down, publishing fails at once instead of queueing (no offline queue): other instances'
 * subscribers lose a hint, never data, and catch up on their next pull.
 *
 * The channel is `syncpool:changes:<namespace>` (the PostgreSQL schema), so deployments sharing
 * one Redis stay apart. This file imports the Redis client; nothing else does.
 */
import { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { createRelayedChangeBus, type ChangeTransport, type ScaleOutChangeBus } from "./relayed-change-bus.js";

/** Where to publish and subscribe. */
export interface RedisChangeBusOptions {
  url: string;
  /** Separates deployments sharing one Redis. */
  namespace: string;
  instanceId: string;
  logger: Logger;
  /** How long start-up waits for Redis before failing. Default 10000. */
  connectTimeoutMs?: number;
}

/** Redis allows far more; past this, records are not sent inline to subscribers anyway. */
const MAX_MESSAGE_BYTES = 256 * 1024;

/** Connects both connections, subscribes, and resolves with the bus. Rejects when Redis cannot be reached in time. */
export async function openRedisChangeBus(options: RedisChangeBusOptions): Promise<ScaleOutChangeBus> {
  const logger = options.logger.child({ component: "change-bus", transport: "redis" });
  const channel = `syncpool:changes:${options.namespace}`;
  const connectionOptions = {
    lazyConnect: true,
    connectionName: "syncpool-change-bus",
    retryStrategy: (times: number) => Math.min(5000, 100 * 2 ** Math.min(times, 10)),
  };
  const publisher = new Redis(options.url, { ...connectionOptions, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const subscriber = new Redis(options.url, connectionOptions);
  let lastError = "";
  for (const [role, connection] of [["publisher", publisher], ["subscriber", subscriber]] as const) {
    connection.on("error", (error: Error) => {
      if (error.message !== lastError) logger.warn({ err: error, role }, "change bus connection error; reconnecting");
      lastError = error.message;
    });
  }

  const transport: ChangeTransport = {
    maxMessageBytes: MAX_MESSAGE_BYTES,
    send(message) {
      publisher.publish(channel, message).catch((error: unknown) => {
        logger.debug({ err: error }, "PUBLISH failed; other instances' subscribers catch up on their next pull");
      });
    },
  };
  const bus = createRelayedChangeBus(options.instanceId, () => (publisher.status === "ready" ? transport : null), logger);
  subscriber.on("message", (from: string, message: string) => {
    if (from === channel) bus.receive(message);
  });

  const close = async () => {
    publisher.disconnect();
    subscriber.disconnect();
  };
  try {
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms${lastError ? ` (${lastError})` : ""}`)), timeoutMs);
    });
    await Promise.race([Promise.all([publisher.connect(), subscriber.connect().then(() => subscriber.subscribe(channel))]), timeout]).finally(() =>
      clearTimeout(timer),
    );
  } catch (error) {
    await close();
    throw error;
  }

  let closed = false;
  return {
    kind: "redis",
    publish: (change) => bus.publish(change),
    subscribe: (identityId, listener) => bus.subscribe(identityId, listener),
    listen: (identityId, hearer) => bus.listen(identityId, hearer),
    unlisten: (identityId, hearer) => bus.unlisten(identityId, hearer),
    listenerCount: () => bus.listenerCount(),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
      await close();
    },
  };
}
