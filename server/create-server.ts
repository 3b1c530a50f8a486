/**
 * The server-side orchestrator: the one place that wires storage, keys, pools, tokens, the
 * schema and the yoga plugins into a running sync server. Everything else on the server side is
 * a part it assembles. Every route is a yoga plugin (`server/http-routes.ts`), so one Fetch
 * handler (`fetch(request)`) answers them all and tests can run the server in-process;
 * `server/node.ts` puts it on a socket.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { createYoga } from "graphql-yoga";
import { createAwsService } from "./aws/aws-service.js";
import type { ServerConfig } from "./config.js";
import { maskError, useBadUserInputCodes, yogaLogger } from "./errors.js";
import { createContextFactory, type GraphQLContext } from "./graphql/context.js";
import { createAdminArea } from "./graphql/admin-area.js";
import { createIdentityArea } from "./graphql/identity-area.js";
import { createSyncpoolSchema } from "./graphql/schema.js";
import { MAX_REQUEST_BODY_BYTES, useBodyLimit } from "./graphql/use-body-limit.js";
import { useClientOperations } from "./graphql/use-client-operations.js";
import { useCompression } from "./graphql/use-compression.js";
import { useIntrospectionGuard } from "./graphql/use-introspection-guard.js";
import { useQueryLimits } from "./graphql/use-query-limits.js";
import { useRequestLog } from "./graphql/use-request-log.js";
import { createAdminLockout } from "./identity/admin-lockout.js";
import type { IdentityDeps } from "./identity/identity-deps.js";
import { createJwksCache } from "./identity/jwks-cache.js";
import { openPoolRegistry } from "./identity/pools.js";
import { createGuestQuota } from "./identity/guest-quota.js";
import { DEFAULT_RATE_LIMITS } from "./identity/access-settings.js";
import { createRateLimiter } from "./identity/rate-limiter.js";
import { createTokenService } from "./identity/tokens.js";
import { createLogger } from "./logger.js";
import type { SyncpoolServer, SyncpoolServerOptions } from "./syncpool-server.js";
export type { SyncpoolServer, SyncpoolServerOptions } from "./syncpool-server.js";
import { createKeysArea } from "./keys/keys-area.js";
import { openKeyRing, type KeyRing } from "./keys/key-ring.js";
import { outboundFetch } from "./outbound-http.js";
import { openChangeBus } from "./push/open-change-bus.js";
import { createPushService, useSharedSubscriptionResults } from "./push/push-service.js";
import { openStorage, SQLITE_FILE_NAME } from "./storage/open-storage.js";
import { createSecretBox, loadMasterKey } from "./secret-box.js";
import { restrictDataDir } from "./secret-file.js";
import { schedulePurge } from "./purge-schedule.js";
import { useHealthRoutes, useJwksRoute, usePathHandler } from "./http-routes.js";
import { createAppsyncApi } from "./models/appsync-api.js";
import { purgeModelTombstones } from "./models/tombstone-purge.js";
import { createAppsyncRealtime } from "./models/realtime-endpoint.js";
import { createModelsAdminArea } from "./models/models-admin-area.js";
import type { CommittedChange, SyncDeps } from "./sync/types.js";
import { createStreamRuntime } from "./stream/stream-runtime.js";
import { createYdocPool, type YdocPool } from "./ydoc/ydoc-pool.js";
import { createYdocWork } from "./ydoc/ydoc-work.js";
import { CONSOLE_PATH, createConsoleRoute, findConsoleDir } from "./console/serve-console.js";
import { createMetricsRoute, METRICS_PATH } from "./metrics/metrics-route.js";
import { DEFAULT_POOL_ID, poolSettingsSchema } from "./identity/pool-settings.js";
import { createUserPoolService, type UserPoolService } from "./user-pool/user-pool-service.js";
import { createSyncpoolMetrics } from "./metrics/syncpool-metrics.js";
import { useMetrics } from "./metrics/use-metrics.js";

/**
 * Builds a sync server from a validated config: opens and migrates storage, loads (or creates)
 * the signing keys, writes the configured pools, and assembles yoga.
 */
export async function createSyncpoolServer(config: ServerConfig, options: SyncpoolServerOptions = {}): Promise<SyncpoolServer> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const now = options.now ?? Date.now;
  const ownsStorage = options.storage === undefined;
  // The data directory holds the database and keys: private to this user before anything is written.
  await restrictDataDir(config.dataDir, []);
  // openStorage migrates what it opens; a storage passed in is migrated here (a no-op when current).
  const storage = options.storage ??
    (await openStorage({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl ?? undefined,
      ...{ postgresSchema: config.databaseSchema, postgresPoolSize: config.databasePoolSize },
      ...{ sqliteSynchronous: config.sqliteSynchronous, detectNestedWrites: !config.production },
    }));
  // Names this process to the other instances: tags its relayed changes and holds its consumer leases.
  const instanceId = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  let bus: Awaited<ReturnType<typeof openChangeBus>> | undefined;
  let keys: KeyRing | undefined;
  let ydocPool: YdocPool | undefined, userPools: UserPoolService | undefined;

  try {
    if (!ownsStorage) await storage.migrate();
    // Pool secrets and the server's own keys are sealed at rest under the master key (`secret-box.ts`).
    const box = createSecretBox(await loadMasterKey(config.dataDir, config.masterKey));
    // Signing keys, session secrets, VAPID and webhook secrets live in the database, shared by every
    // instance; a rotation on any instance reaches this one within a poll (`server/keys/key-ring.ts`).
    keys = await openKeyRing({ store: storage.keys, box, dataDir: config.dataDir, now, logger: logger.child({ component: "keys" }) });
    const ring = keys;
    // The database files exist now; the driver created them with the umask's mode.
    await restrictDataDir(config.dataDir, SQLITE_FILES);
    // The built-in user pools (`server/user-pool/`): Cognito's user-pool API, each pool's key in the key table.
    userPools = await createUserPoolService({
      config: config.userPools,
      pathPrefix: config.aws.pathPrefix,
      store: storage.userPools,
      authEvents: storage.authEvents,
      // Auth events go to the stream of the identity pool a user pool is linked to; both exist by the first request.
      streamShardsOf: async (identityPoolId) => (await pools.get(identityPoolId))?.stream.shards ?? null,
      onStreamAppended: () => stream.sync.onAppended(),
      trustedProxyHops: config.trustedProxyHops,
      keys: storage.keys,
      box,
      secret: ring.awsSecret(),
      dataDir: config.dataDir,
      // Read when a developer call arrives, by then the registry below exists.
      developerCredentialsOf: async (identityPoolId) => (await pools.get(identityPoolId))?.developerCredentials ?? null,
      configFile: config.configFile,
      outbound: config.outbound,
      now,
      ...(options.rateLimitClock ? { rateLimitClock: options.rateLimitClock } : {}),
      logger: logger.child({ component: "user-pool" }),
    });
    const linkUserPools = userPools.linkTo;
    const tokens = createTokenService({ keys: ring.signing, refreshKeys: ring.refreshSoon, ttlSeconds: config.tokenTtlSeconds, now });
    // Config pools are written, pools the file no longer names are retired (each logged).
    const pools = await openPoolRegistry(storage, {
      // Identity pools a user pool names accept its ID tokens as logins.
      configured: config.pools.map(linkUserPools),
      implicitDefault: linkUserPools(poolSettingsSchema.parse({ id: DEFAULT_POOL_ID })),
      hasConfigFile: config.configFile !== null,
      box,
      now,
      warn: (message) => logger.warn(message),
    });
    // Committed changes reach live subscribers on every instance: in-process, PostgreSQL NOTIFY or Redis.
    bus = await openChangeBus(config, instanceId, logger);
    if (bus.kind !== "in-process") logger.info({ changeBus: bus.kind, instanceId }, "changes fan out across instances");
    // Push sync hears every committed change (after commit) and adds its area to the schema.
    const push = await createPushService({
      config: config.push,
      storedSecrets: ring.pushSecrets(),
      storage,
      now,
      logger: logger.child({ component: "push" }),
      bus,
      trustedProxyHops: config.trustedProxyHops,
      outbound: config.outbound,
    });
    // The event stream: every commit appends its event (and runs the pool's sync trigger) through `stream.sync`;
    // consumers run on every instance, each shard fed by the instance holding its lease.
    const stream = await createStreamRuntime({ storage, pools, config, now, logger, instanceId, handlers: options.handlers, options: options.stream });
    // Gauges read their sources when scraped; counters move through the committed-change hook and a yoga plugin.
    const metrics = createSyncpoolMetrics({
      liveConnections: () => push.connectionTotals(),
      consumers: () => stream.consumers(),
      connectionStats: () => storage.connectionStats?.() ?? null,
    });
    const onCommitted = (change: CommittedChange) => {
      metrics.onCommitted(change);
      push.onCommitted(change);
    };
    // Yjs work (YDOC validation and merges) runs in worker threads under a time limit, never on this event loop.
    ydocPool = createYdocPool({ workers: config.ydoc.workers, timeLimitMs: config.ydoc.timeLimitMs });
    const ydoc = createYdocWork(ydocPool, config.ydoc.budget);
    // One set of token buckets for both APIs (so a client gets no more by switching between GraphQL
    // and /aws): requests per identity and per address, and pushed bytes per identity.
    const limiter = createRateLimiter({ ...(options.rateLimitClock ? { clock: options.rateLimitClock } : {}) });
    const guestQuota = createGuestQuota({ ...(options.rateLimitClock ? { clock: options.rateLimitClock } : {}) });
    const sync: SyncDeps = {
      storage,
      now,
      sessionSecrets: ring.sessionSecrets,
      onCommitted,
      stream: stream.sync,
      ydoc,
      spendPushBytes: async (caller, bytes) => {
        const pool = await pools.get(caller.poolId);
        limiter.take("pushBytes", caller.identityId, pool?.rateLimits.pushBytes ?? DEFAULT_RATE_LIMITS.pushBytes, bytes);
      },
    };
    // Sign-in, logins, developer identities, guest merges (through `sync`), identity administration.
    // Discovery and key sets are fetched under the outbound guard: public addresses, no redirects, capped answers.
    const jwks = createJwksCache({ fetch: userPools.localFetch(options.fetch ?? outboundFetch(config.outbound)), now });
    const identity: IdentityDeps = { storage, pools, tokens, now, jwks, sync, guestQuota };
    // Apps on the AWS SDKs: the same identities, datasets and stream, spoken as AWS speaks (`server/aws/`).
    const aws = createAwsService({
      config: config.aws,
      identity,
      sync,
      devices: { storage: storage.devices, config: config.push, now, outbound: config.outbound },
      sessionSecret: ring.awsSecret(),
      limiter,
      trustedProxyHops: config.trustedProxyHops,
      logger: logger.child({ component: "aws" }),
    });

    const operationRoutes: Record<string, (request: Request) => Promise<Response>> = {
      [METRICS_PATH]: createMetricsRoute({ mode: config.metrics, adminToken: config.adminToken, metrics, logger }),
      [CONSOLE_PATH]: createConsoleRoute(options.consoleDir ?? findConsoleDir()),
    };
    const routeOf = (path: string) => operationRoutes[path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`) ? CONSOLE_PATH : path];
    const operations: SyncpoolServer["operations"] = {
      handles: (path: string) => routeOf(path) !== undefined,
      fetch: (request: Request) => routeOf(new URL(request.url).pathname)!(request),
    };
    const yoga = createYoga<{}, GraphQLContext>({
      schema: createSyncpoolSchema({ sync, pools, signIn: identity }, [push.area, stream.area, createIdentityArea(identity), createAdminArea({ sync, identity }), createKeysArea({ store: storage.keys, box, ring, now }), createModelsAdminArea({ pools, sessionSecrets: ring.sessionSecrets, now })]),
      // Who is asking (token, identity status, role), and the rate limits per identity and address.
      // Wrong admin tokens lock their address out with a growing delay (on the server's clock).
      context: createContextFactory({
        tokens,
        pools,
        storage,
        limiter,
        adminToken: config.adminToken,
        adminLockout: createAdminLockout(now),
        trustedProxyHops: config.trustedProxyHops,
      }),
      graphqlEndpoint: "/graphql",
      // A console and the schema are for local development only (`syncpool serve --dev`).
      graphiql: config.dev,
      landingPage: false,
      // Browsers' apps authenticate with bearer tokens, never cookies: no credentials, ever. No
      // origin is named unless configured (or `--dev`): a browser then lets only same-origin apps
      // call. (`false`, not an empty list: yoga reads an empty list as "any origin".)
      cors:
        config.corsOrigins.length === 0
          ? false
          : {
              origin: config.corsOrigins.includes("*") ? "*" : config.corsOrigins,
              credentials: false,
              allowedHeaders: ["authorization", "content-type"],
            },
      logging: yogaLogger(logger.child({ component: "graphql" })),
      // Resolver errors keep their codes; anything unexpected becomes "Unexpected error." and is logged.
      maskedErrors: { maskError },
      // Our own limit (below) answers with the limit in the message.
      maxRequestBodySize: false,
      // The order matters: each plugin acts at its own stage of a request, listed first to last.
      plugins: [
        // 0. The routes beside GraphQL, answered before yoga parses anything (`server/http-routes.ts`).
        ...useHealthRoutes({ ping: () => storage.ping(), logger }),
        useJwksRoute(() => tokens.jwks, logger),
        usePathHandler(userPools, logger.child({ component: "user-pool" })),
        usePathHandler(aws, logger.child({ component: "aws" })),
        usePathHandler(operations, logger),
        // The app models' AppSync-style API, for Amplify DataStore apps (`server/models/`).
        usePathHandler(createAppsyncApi({ pools, sync, verifyToken: (token) => tokens.verify(token), identity, verifyUserPoolAccessToken: userPools.verifyAccessToken, logger: logger.child({ component: "models" }), corsOrigins: config.corsOrigins, triggerCall: stream.triggerCall }), logger.child({ component: "models" })),
        // 1. Refuse bodies over ~2 MB with 413 before parsing them; put back the text of a client operation sent by hash.
        ...[useBodyLimit(MAX_REQUEST_BODY_BYTES), useClientOperations()],
        // 2. Refuse abusive documents: token count while parsing; depth, aliases, cost while validating.
        ...useQueryLimits(),
        // 3. Give parse, validation and variable errors the code BAD_USER_INPUT.
        useBadUserInputCodes(),
        // 4. One log line per operation (no variables, no headers).
        useRequestLog(logger.child({ component: "graphql" }), now),
        // 5. Outside `--dev`, refuse `__schema` and `__type` while validating.
        ...(config.dev ? [] : [useIntrospectionGuard()]),
        // 6. Request, error, push-latency, rate-limit and sign-in metrics (`server/metrics/`); 7. each `datasetChanged` event executed once per selection (`server/push/`).
        ...[useMetrics(metrics, now), useSharedSubscriptionResults()],
        useCompression(), // 8. Answers of a kilobyte or more compressed as the client accepts (br, gzip).
      ],
    });

    const stopPurging = schedulePurge(storage, config.mutationRetentionHours, now, logger, [{ what: "expired model tombstones", run: () => purgeModelTombstones({ storage, pools, now }) }]);
    stream.start();
    let closed: Promise<void> | undefined;
    return {
      yoga,
      fetch: async (request) => yoga.fetch(request),
      storage,
      pools,
      tokens,
      keys: ring,
      logger,
      push,
      aws,
      appsyncRealtime: createAppsyncRealtime({ pools, sync, verifyToken: (token) => tokens.verify(token), identity, verifyUserPoolAccessToken: userPools.verifyAccessToken, bus: push.bus, caps: push.caps, config: config.push, logger: logger.child({ component: "models" }) }),
      userPools,
      metrics,
      operations,
      close: () => (closed ??= (async () => {
        stopPurging();
        ring.close();
        userPools?.close();
        await aws.close();
        await stream.close();
        await push.close();
        await bus?.close();
        await yoga.dispose();
        await ydocPool?.close();
        if (ownsStorage) await storage.close();
      })()),
    };
  } catch (error) {
    keys?.close();
    userPools?.close();
    await ydocPool?.close();
    await bus?.close();
    if (ownsStorage) await storage.close();
    throw error;
  }
}

/** The embedded database's files in the data directory (WAL mode adds a journal and shared memory). */
const SQLITE_FILES = [SQLITE_FILE_NAME, `${SQLITE_FILE_NAME}-wal`, `${SQLITE_FILE_NAME}-shm`];

