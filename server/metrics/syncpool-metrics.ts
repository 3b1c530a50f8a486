/**
 * The server's Prometheus metrics, on a registry of its own: tests start several servers in one
 * process, and prom-client's global registry would mix their counts. Counters and histograms are
 * moved by two hooks (`use-metrics.ts`, a yoga plugin, and `onCommitted`, the committed-change
 * hook of `server/sync`); gauges read their source when scraped, so they are never stale.
 * Names follow Prometheus conventions: `syncpool_` prefix, `_total` counters, base units.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { LiveTransport } from "../push/connection-limits.js";
import type { ConnectionStats } from "../storage/storage.js";
import type { ConsumerStatus } from "../stream/consumer-runner.js";
import type { CommittedChange } from "../sync/types.js";

/** Where the gauges read their values when scraped. */
export interface MetricSources {
  /** Live connections per transport. */
  liveConnections(): Record<LiveTransport, number>;
  /** Stream consumers running here, with checkpoints per shard. */
  consumers(): ConsumerStatus[];
  /** The database pool's use, or null on a backend without a pool. */
  connectionStats(): ConnectionStats | null;
}

/** How a sign-in was asked for: a new or returning guest, a provider login, the app's backend. */
export type SignInMethod = "guest" | "login" | "developer";

/** The metrics of one server instance. */
export interface SyncpoolMetrics {
  /** This server's own metrics; the process's default metrics live apart and are rendered with them. */
  readonly registry: Registry;
  /** One executed GraphQL operation: `code` is `OK` or the first error's code. */
  recordRequest(operation: string, code: string): void;
  /** How long a `pushRecords` took. */
  recordPushDuration(seconds: number): void;
  /** A request refused by a rate limit (`perIdentity`, `perAddress`, `adminLockout`, ...). */
  recordRateLimited(limit: string): void;
  /** A sign-in attempt: `outcome` is `success` or the error code. */
  recordSignIn(method: SignInMethod, outcome: string): void;
  /** For `SyncDeps.onCommitted`: counts the stream append and the push's records. Never throws. */
  onCommitted(change: CommittedChange): void;
  /** The text exposition of every metric. */
  render(): Promise<string>;
  /** Its content type (`text/plain; version=0.0.4`). */
  readonly contentType: string;
}

/** Records per committed push: single edits up to a full dataset (1024 records by default). */
const PUSH_RECORD_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1024];
/** Push latency, 2.5 ms to 10 s. */
const PUSH_SECONDS_BUCKETS = [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Node's default metrics (event-loop lag, heap, GC, handles: `syncpool_nodejs_eventloop_lag_seconds`
 * and friends) describe the process, not a server: one registry of them per process, made by the
 * first server and rendered by each. Made per server, every set kept an event-loop delay monitor
 * (sampling every 10 ms) and a GC observer running for the rest of the process, its server closed
 * or not: prom-client offers no way to stop them.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: "syncpool_" });
  }
  return processRegistry;
}

/** Builds the metrics over a fresh registry; the process's default metrics are rendered with them. */
export function createSyncpoolMetrics(sources: MetricSources): SyncpoolMetrics {
  const registry = new Registry();
  const processRegistry = processMetrics();

  const requests = new Counter({
    name: "syncpool_graphql_requests_total",
    help: "GraphQL operations executed, by root field (or operation name) and result code (OK when no error).",
    labelNames: ["operation", "code"],
    registers: [registry],
  });
  const pushDuration = new Histogram({
    name: "syncpool_push_duration_seconds",
    help: "Time to answer pushRecords, successful or not.",
    buckets: PUSH_SECONDS_BUCKETS,
    registers: [registry],
  });
  const pushRecords = new Histogram({
    name: "syncpool_push_records",
    help: "Records changed per committed push from a device.",
    buckets: PUSH_RECORD_BUCKETS,
    registers: [registry],
  });
  const appended = new Counter({
    name: "syncpool_stream_events_appended_total",
    help: "Events appended to the event stream (one per committed change).",
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: "syncpool_rate_limited_total",
    help: "Requests refused by a rate limit, by limit.",
    labelNames: ["limit"],
    registers: [registry],
  });
  const signIns = new Counter({
    name: "syncpool_sign_ins_total",
    help: "Sign-in attempts by method (guest, login, developer) and outcome (success or error code).",
    labelNames: ["method", "outcome"],
    registers: [registry],
  });
  new Gauge({
    name: "syncpool_live_connections",
    help: "Live subscription connections held now, by transport.",
    labelNames: ["transport"],
    registers: [registry],
    collect() {
      for (const [transport, count] of Object.entries(sources.liveConnections())) this.set({ transport }, count);
    },
  });
  new Gauge({
    name: "syncpool_stream_consumer_lag_events",
    help: "Events a stream consumer has still to finish in a shard (newest sequence minus checkpoint).",
    labelNames: ["consumer", "shard"],
    registers: [registry],
    collect() {
      // Reset first: a shard whose lease moved to another instance must not keep its last value here.
      this.reset();
      for (const consumer of sources.consumers()) {
        for (const progress of consumer.shards) {
          const shard = `${progress.poolId}/${progress.shard}`;
          this.set({ consumer: consumer.name, shard }, Math.max(0, progress.lastSequence - progress.checkpoint));
        }
      }
    },
  });
  new Gauge({
    name: "syncpool_db_pool_connections",
    help: "Database pool connections by state (active, idle, waiting callers); PostgreSQL only.",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      const stats = sources.connectionStats();
      if (stats === null) return;
      for (const [state, count] of Object.entries(stats)) this.set({ state }, count);
    },
  });

  return {
    registry,
    recordRequest: (operation, code) => requests.inc({ operation, code }),
    recordPushDuration: (seconds) => pushDuration.observe(seconds),
    recordRateLimited: (limit) => rateLimited.inc({ limit }),
    recordSignIn: (method, outcome) => signIns.inc({ method, outcome }),
    onCommitted(change) {
      appended.inc();
      if (change.origin === "device" && !change.deleted) pushRecords.observe(change.records.length);
    },
    render: () => Registry.merge([processRegistry, registry]).metrics(),
    contentType: registry.contentType,
  };
}
