/**
 * The shape of a sync server (`createSyncpoolServer` in `server/create-server.ts`) and what an embedder may pass it.
 */
import type { YogaServerInstance } from "graphql-yoga";
import type { AwsService } from "./aws/aws-service.js";
import type { UserPoolService } from "./user-pool/user-pool-service.js";
import type { GraphQLContext } from "./graphql/context.js";
import type { FetchLike } from "./identity/jwks-cache.js";
import type { PoolRegistry } from "./identity/pools.js";
import type { TokenService } from "./identity/tokens.js";
import type { KeyRing } from "./keys/key-ring.js";
import type { Logger } from "./logger.js";
import type { SyncpoolMetrics } from "./metrics/syncpool-metrics.js";
import type { AppsyncRealtime } from "./models/realtime-endpoint.js";
import type { PushService } from "./push/push-service.js";
import type { Storage } from "./storage/storage.js";
import type { StreamHandler } from "./stream/consumer.js";
import type { StreamOptions } from "./stream/stream-runtime.js";

/** What the embedder may replace; everything else comes from the config. */
export interface SyncpoolServerOptions {
  /** Defaults to a pino logger at `config.logLevel` on stdout. */
  logger?: Logger;
  /**
   * Defaults to SQLite at `<dataDir>/syncpool.db`, migrated, closed by `close()`. A storage passed
   * in is migrated but not closed: its owner closes it.
   */
  storage?: Storage;
  /** Server time, epoch ms. Tests move it to expire tokens or skew clocks. */
  now?: () => number;
  /** In-process stream consumers: each sees every event of its pools, at least once, in order per shard. */
  handlers?: readonly StreamHandler[];
  /** Stream tuning (consumer timing, the HTTP client of webhooks and triggers); see `StreamOptions`. */
  stream?: StreamOptions;
  /** How OIDC discovery documents and key sets are fetched; the outbound guard (`server/outbound-http.ts`) by default. */
  fetch?: FetchLike;
  /**
   * Monotonic milliseconds for the rate limits' token buckets (requests, new guests, the user pools' per-address limits);
   * `performance.now` by default. Tests advance it to refill buckets instead of waiting.
   */
  rateLimitClock?: () => number;
  /** The built admin console served at `/console`; `dist/console` of the package by default. */
  consoleDir?: string;
}

/** A ready sync server, not yet bound to a port. */
export interface SyncpoolServer {
  /** The yoga instance: a Fetch handler (`yoga.fetch`) and a Node request listener. */
  yoga: YogaServerInstance<{}, GraphQLContext>;
  /** Answers one Fetch request on any route (`/graphql`, `/healthz`, `/aws/...`; `server/http-routes.ts`). */
  fetch(request: Request): Promise<Response>;
  storage: Storage;
  pools: PoolRegistry;
  /** Issues and verifies identity tokens; `tokens.jwks` is the public key set. */
  tokens: TokenService;
  /** The server keys shared through the database (`server/keys/key-ring.ts`). */
  keys: KeyRing;
  logger: Logger;
  /** Push sync: the change bus, live subscriptions, registered devices (`server/push/`). */
  push: PushService;
  /** The model API's realtime WebSocket (`/appsync/<pool>/graphql/realtime`); `server/node.ts` hands it its upgrades. */
  appsyncRealtime: AppsyncRealtime;
  /** The AWS-compatible endpoints (Cognito Identity, Cognito Sync, Kinesis read side) under `config.aws.pathPrefix`. */
  aws: AwsService;
  /** The built-in user pools' API under `<aws prefix>/cognito-idp` (`server/user-pool/`). */
  userPools: UserPoolService;
  /** This instance's Prometheus metrics (its own registry). */
  metrics: SyncpoolMetrics;
  /** The operations routes beside GraphQL: `/metrics` and the admin console at `/console`. */
  operations: { handles(path: string): boolean; fetch(request: Request): Promise<Response> };
  /** Stops using storage (and closes it when the server opened it). Idempotent. */
  close(): Promise<void>;
}
