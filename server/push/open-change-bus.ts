/**
 * Picks the change bus from the configuration, the one place that knows which exist:
 * - `REDIS_URL` set: Redis pub/sub (it wins, whatever the storage);
 * - PostgreSQL storage: LISTEN/NOTIFY on the same database;
 * - otherwise (SQLite, one instance): the in-process bus.
 */
import type { Logger } from "../logger.js";
import { createInProcessChangeBus } from "./change-bus.js";
import type { ScaleOutChangeBus } from "./relayed-change-bus.js";

/** The settings the choice depends on (fields of `ServerConfig`). */
export interface ChangeBusConfig {
  databaseUrl: string | null;
  databaseSchema: string;
  redisUrl: string | null;
}

/** Opens the configured bus; rejects when its service cannot be reached at start. */
export async function openChangeBus(config: ChangeBusConfig, instanceId: string, logger: Logger): Promise<ScaleOutChangeBus> {
  if (config.redisUrl) {
    const namespace = config.databaseUrl ? config.databaseSchema : "embedded";
    // Each bus (and its client library) is loaded only when configured.
    const { openRedisChangeBus } = await import("./redis-change-bus.js");
    return openRedisChangeBus({ url: config.redisUrl, namespace, instanceId, logger });
  }
  if (config.databaseUrl) {
    const { openPgChangeBus } = await import("./pg-change-bus.js");
    return openPgChangeBus({ url: config.databaseUrl, schema: config.databaseSchema, instanceId, logger });
  }
  const bus = createInProcessChangeBus((error) => logger.error({ err: error }, "change listener failed"));
  return { kind: "in-process", ...bus, close: async () => undefined };
}
