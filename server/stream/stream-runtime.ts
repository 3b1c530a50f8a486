/**
 * The stream's orchestrator: builds, from the config and the pools, everything the event stream
 * runs on one server and hands each part to the one that needs it. `server/create-server.ts` creates it,
 * passes `sync` to the sync operations (so every commit appends its event and runs the pool's
 * trigger), adds `area` to the schema, and calls `start()` and `close()`.
 *
 * What runs: the consumers (in-process handlers, each pool's webhooks, the NATS relay) under one
 * `ConsumerRunner`, each shard fed only while this instance holds its lease (`ConsumerLeases`), so
 * every instance may run every consumer; retention trimming; bulk publishes started through the API.
 */
import { compileJsonSchemas, type JsonRecordCheck } from "../identity/json-schemas.js";
import { dirname } from "node:path";
import { SyncpoolError } from "../../core/errors.js";
import type { SchemaArea } from "../graphql/schema.js";
import type { PoolSettings } from "../identity/pool-settings.js";
import type { PoolRegistry } from "../identity/pools.js";
import type { Logger } from "../logger.js";
import type { Storage } from "../storage/storage.js";
import type { SyncStreamDeps } from "./sync-stream.js";
import { bulkPublishDetails, startBulkPublish, type BulkPublishDeps } from "./bulk-publish.js";
import { handlerConsumer, type Consumer, type StreamHandler } from "./consumer.js";
import { ConsumerLeases } from "./consumer-leases.js";
import { ConsumerRunner, type ConsumerRunnerOptions, type ConsumerStatus } from "./consumer-runner.js";
import { natsRelayConsumer } from "./nats-relay.js";
import type { OutboundPolicy } from "../outbound-http.js";
import { createPostSigned, type PostSigned } from "./post-signed.js";
import { createStreamArea } from "./resolvers.js";
import { scheduleTrim, TRIM_INTERVAL_MS } from "./retention.js";
import type { StreamConfig } from "./stream-config.js";
import { createSyncTrigger, createTriggerCall, type TriggerCall } from "./sync-trigger.js";
import type { SyncTriggerSettings } from "./sync-trigger-settings.js";
import type { SyncTrigger } from "./trigger-contract.js";
import { webhookConsumer } from "./webhook-consumer.js";

/** What an embedder may set (`createSyncpoolServer(config, { handlers, stream })`). */
export interface StreamOptions {
  /** Timing of consumers (poll interval, retry backoff, batch size) and the lease seam. */
  consumers?: ConsumerRunnerOptions;
  /** How webhooks and HTTPS triggers POST; the global fetch by default. */
  post?: PostSigned;
  /** Time limit of in-process module triggers; default 5000. */
  moduleTriggerTimeoutMs?: number;
  /** How often retention runs; default 10 minutes. */
  trimIntervalMs?: number;
}

export interface StreamRuntimeDeps {
  storage: Storage;
  pools: PoolRegistry;
  config: { configFile: string | null; stream: StreamConfig; outbound: OutboundPolicy };
  now: () => number;
  logger: Logger;
  /** This server instance, unique per process: the holder of its consumer leases. */
  instanceId: string;
  handlers?: readonly StreamHandler[] | undefined;
  options?: StreamOptions | undefined;
}

/** The stream, assembled for one server. */
export interface StreamRuntime {
  /** For `SyncDeps.stream`. */
  sync: SyncStreamDeps;
  /** For `createSyncpoolSchema`. */
  area: SchemaArea;
  /** The consumers running here and their checkpoints per shard (for metrics). */
  consumers(): ConsumerStatus[];
  /** The call of a hook written like a sync trigger (a LAMBDA conflict handler), with this server's HTTP client and time limits. */
  triggerCall(settings: SyncTriggerSettings): TriggerCall;
  /** Starts consumers and retention. */
  start(): void;
  /** Stops consumers, retention and bulk publishes of this process. Idempotent. */
  close(): Promise<void>;
}

/** How long a consumer lease lasts unless `SYNCPOOL_STREAM_LEASE_MS` says otherwise. */
const DEFAULT_LEASE_TTL_MS = 15_000;

/** Builds the stream for one server; see the module comment. */
export async function createStreamRuntime(deps: StreamRuntimeDeps): Promise<StreamRuntime> {
  const { storage, pools, config, now } = deps;
  const logger = deps.logger.child({ component: "stream" });
  const options = deps.options ?? {};
  const post = options.post ?? createPostSigned(deps.config.outbound);
  const maxAttempts = config.stream.maxAttempts;

  const consumers: Consumer[] = (deps.handlers ?? []).map((handler) => handlerConsumer(handler, maxAttempts));
  for (const view of await pools.list()) {
    const settings = await pools.get(view.id);
    for (const webhook of settings?.stream.webhooks ?? []) consumers.push(webhookConsumer(view.id, webhook, { post, now, maxAttempts }));
  }
  if (config.stream.nats) consumers.push(natsRelayConsumer(config.stream.nats, { logger, maxAttempts }));
  // Leases let every instance run every consumer; an embedder's own `claim` replaces them.
  const leases = options.consumers?.claim
    ? null
    : new ConsumerLeases({ storage: storage.leases, holder: deps.instanceId, ttlMs: config.stream.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS, now, logger });
  const runnerOptions = leases ? { ...options.consumers, claim: leases.claim } : options.consumers;
  const runner = new ConsumerRunner({ storage: storage.stream, consumers, now, logger, options: runnerOptions });

  const triggerDeps = {
    baseDir: config.configFile ? dirname(config.configFile) : process.cwd(),
    post,
    now,
    logger,
    ...(options.moduleTriggerTimeoutMs ? { moduleTimeoutMs: options.moduleTriggerTimeoutMs } : {}),
  };
  const triggers = new Map<string, SyncTrigger>();
  const triggerOf = (settings: PoolSettings): SyncTrigger | null => {
    if (!settings.syncTrigger) return null;
    let trigger = triggers.get(settings.id);
    if (!trigger) {
      trigger = createSyncTrigger(settings.syncTrigger, triggerDeps);
      triggers.set(settings.id, trigger);
    }
    return trigger;
  };

  // Compiled once per pool; recompiled only when the pool's schemas change (an admin update).
  const schemaChecks = new Map<string, { text: string; check: JsonRecordCheck | null }>();
  const jsonCheckOf = (settings: PoolSettings): JsonRecordCheck | null => {
    const text = JSON.stringify(settings.jsonSchemas);
    let cached = schemaChecks.get(settings.id);
    if (cached?.text !== text) {
      cached = { text, check: compileJsonSchemas(settings.jsonSchemas) };
      schemaChecks.set(settings.id, cached);
    }
    return cached.check;
  };

  const sync: SyncStreamDeps = {
    async poolStream(poolId) {
      const settings = await pools.get(poolId);
      if (!settings) throw new SyncpoolError("NOT_FOUND", `identity pool "${poolId}" does not exist`);
      return {
        shards: settings.stream.shards,
        region: settings.region,
        trigger: triggerOf(settings),
        defaultConflictStrategy: settings.defaultConflictStrategy,
        checkJson: jsonCheckOf(settings),
      };
    },
    onAppended: (events) => runner.wake(events),
  };

  const bulk: BulkPublishDeps = { storage, now, logger };
  const stopBulk = new AbortController();
  const bulkJobs = new Set<Promise<unknown>>();
  const area = createStreamArea({
    storage: storage.stream,
    pool: (poolId) => pools.get(poolId),
    bulk,
    async startBulkPublish(poolId, shards) {
      const { run } = await startBulkPublish(bulk, poolId, shards, { onProgress: () => runner.wake(), signal: stopBulk.signal });
      const job = run().finally(() => bulkJobs.delete(job));
      bulkJobs.add(job);
      return bulkPublishDetails(bulk, poolId);
    },
    consumers: () => runner.status(),
    deadLetters: { storage: storage.stream, now, findConsumer: (name) => runner.find(name) },
  });

  let stopTrim: (() => void) | undefined;
  let closing: Promise<void> | undefined;
  return {
    sync,
    area,
    consumers: () => runner.status(),
    triggerCall: (settings) => createTriggerCall(settings, triggerDeps),
    start() {
      if (consumers.length > 0) leases?.start();
      runner.start();
      const retentionOf = async (poolId: string) => {
        const stream = (await pools.get(poolId))?.stream;
        return stream ? { hours: stream.retentionHours, bytes: stream.retentionBytes } : null;
      };
      stopTrim ??= scheduleTrim(storage.stream, retentionOf, now, logger, options.trimIntervalMs ?? TRIM_INTERVAL_MS);
    },
    close: () =>
      (closing ??= (async () => {
        stopTrim?.();
        stopBulk.abort();
        await Promise.allSettled([...bulkJobs]);
        await runner.close();
        await leases?.close(); // after the workers saved their checkpoints: the next holder starts there
      })()),
  };
}
