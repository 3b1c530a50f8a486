/**
 * Server configuration, parsed once. This is the only module that reads the environment (and it
 * takes the environment as an argument, so tests pass their own). Sources, strongest first: CLI
 * flags, environment variables (`config-env.ts`), the JSON config file (`config-file.ts`),
 * defaults. Any bad value or unknown field stops start-up with a `ConfigError` naming it
 * (`config-error.ts`).
 *
 * HOST defaults to 127.0.0.1: a fresh `npm start` is reachable from this machine only. Set
 * `HOST=0.0.0.0` to serve other machines (in a container, for example).
 */
import { resolve } from "node:path";
import type { PoolSettings } from "./identity/pool-settings.js";
import { toPushConfig, type PushConfig } from "./push/push-config.js";
import { toStreamConfig, type StreamConfig } from "./stream/stream-config.js";
import { toAwsConfig, type AwsConfig } from "./aws/aws-config.js";
import { findExampleSecrets, isLoopbackHost } from "./example-secrets.js";
import { toYdocConfig, type YdocConfig } from "./ydoc/ydoc-config.js";
import type { OutboundPolicy } from "./outbound-http.js";
import { ConfigError, parseOrThrow } from "./config-error.js";
import { envSchema, hostSchema, intFrom, KNOWN_ENV, type LogLevel, type MetricsMode } from "./config-env.js";
import { readConfigFile } from "./config-file.js";
import { toTlsConfig, type TlsConfig } from "./config-tls.js";
import { toUserPoolsConfig, type UserPoolsConfig } from "./user-pool/user-pool-config.js";

export { poolSettingsSchema, type PoolSettings } from "./identity/pool-settings.js";
export { ConfigError, describeZodError, joinPath } from "./config-error.js";
export type { TlsConfig } from "./config-tls.js";
export { LOG_LEVELS, METRICS_MODES, MIN_ADMIN_TOKEN_LENGTH, type LogLevel, type MetricsMode } from "./config-env.js";

/** The validated configuration the server runs with. */
export interface ServerConfig {
  port: number;
  host: string;
  /** SYNCPOOL_TLS_CERT_FILE + SYNCPOOL_TLS_KEY_FILE: listen with TLS (https, wss); null: plain HTTP (`server/config-tls.ts`). */
  tls: TlsConfig | null;
  /** Absolute path of the data directory (database, keys). */
  dataDir: string;
  /** Absolute path of the JSON config file, or null when none was given. */
  configFile: string | null;
  /** Bearer token of the admin API; null disables the admin API. Never log it. */
  adminToken: string | null;
  /**
   * SYNCPOOL_MASTER_KEY: the 32-byte key that seals secrets and the server's keys at rest; null uses
   * (and creates) `<dataDir>/keys/master-key`. Required with PostgreSQL in production or on a
   * non-loopback host, where instances share nothing but the database. Never log it.
   */
  masterKey: Uint8Array | null;
  logLevel: LogLevel;
  /** NODE_ENV === "production". `dev` may not be set with it. */
  production: boolean;
  /**
   * `syncpool serve --dev` (what `npm run dev` runs): GraphiQL on `GET /graphql`, schema
   * introspection, and any origin for CORS unless SYNCPOOL_CORS_ORIGINS says otherwise. Off by
   * default, so a server started any other way shows attackers neither a console nor its schema.
   */
  dev: boolean;
  sqliteSynchronous: "FULL" | "NORMAL";
  /** PostgreSQL connection URL; null selects the embedded SQLite database in `dataDir`. Never log it whole. */
  databaseUrl: string | null;
  /** PostgreSQL only: the schema holding syncpool's tables (created if missing). */
  databaseSchema: string;
  /** PostgreSQL only: connections in this instance's pool (plus one for LISTEN when fan-out uses NOTIFY). */
  databasePoolSize: number;
  /** Redis for change fan-out across instances (wins over PostgreSQL NOTIFY); null when unset. Never log it whole. */
  redisUrl: string | null;
  tokenTtlSeconds: number;
  /** How long a stopping server waits for requests and pushes in flight before it exits anyway. */
  shutdownTimeoutMs: number;
  /** How long answers to pushes are kept for idempotent replay (at least 24 hours). */
  mutationRetentionHours: number;
  /**
   * Origins whose web apps may call `/graphql` from a browser: `["*"]` (any) or exact origins; empty
   * (the default outside `dev`): none, so only an app served from the server's own origin (or
   * through a proxy on the app's) can call it from a browser. Credentials (cookies) are never
   * allowed: identities travel as bearer tokens.
   */
  corsOrigins: string[];
  /** Proxies in front of the server whose X-Forwarded-For entries name the client (0: trust none). */
  trustedProxyHops: number;
  /** Pools from the config file; empty means "only the default pool". */
  pools: PoolSettings[];
  /** Non-fatal remarks for the start-up log (e.g. a SYNCPOOL_ variable nobody reads). */
  warnings: string[];
  /** Live subscriptions, registered devices and their delivery (`server/push/push-config.ts`). */
  push: PushConfig;
  /** The event stream's consumers: dead-letter attempts, the NATS relay (`server/stream/stream-config.ts`). */
  stream: StreamConfig;
  /** The AWS-compatible endpoints: path prefix, credential lifetime (`server/aws/aws-config.ts`). */
  aws: AwsConfig;
  /** The built-in user pools, their public URL and mail (`server/user-pool/user-pool-config.ts`). */
  userPools: UserPoolsConfig;
  /** YDOC work: the worker pool, its time limit, the update budget (`server/ydoc/ydoc-config.ts`). */
  ydoc: YdocConfig;
  /**
   * What requests to URLs others chose (push deliveries, webhooks, sync triggers, OIDC discovery)
   * may reach (`server/outbound-http.ts`). Private addresses only for tests and on-premises receivers.
   */
  outbound: OutboundPolicy;
  /**
   * SYNCPOOL_METRICS: who may read `GET /metrics`. `off` (default): nobody (404); `on`: anyone who
   * reaches the port; `admin`: callers with the admin token as a bearer (needs SYNCPOOL_ADMIN_TOKEN).
   */
  metrics: MetricsMode;
}

/** CLI flags; each one, when given, wins over its environment variable. */
export interface ConfigOverrides {
  port?: string | number | undefined;
  host?: string | undefined;
  dataDir?: string | undefined;
  configFile?: string | undefined;
  /** `--dev`: GraphiQL, introspection and open CORS for local development. */
  dev?: boolean | undefined;
}

/**
 * Builds the configuration from `env` (pass `process.env` in the CLI, a literal in tests) and the
 * CLI flags. Reads the config file synchronously: it runs once, before the server starts.
 * @throws ConfigError naming the variable, flag or file field at fault.
 */
export function loadConfig(env: Record<string, string | undefined>, overrides: ConfigOverrides = {}): ServerConfig {
  // An empty variable means "unset", as shells make `FOO= cmd` easy to write by accident.
  const present = Object.fromEntries(Object.entries(env).filter(([name, value]) => KNOWN_ENV.has(name) && value !== ""));
  const parsedEnv = parseOrThrow(envSchema, present, "environment variable ");

  const flags = {
    port: overrides.port === undefined ? undefined : parseOrThrow(intFrom(0, 65535), String(overrides.port), "--port: "),
    host: overrides.host === undefined ? undefined : parseOrThrow(hostSchema, overrides.host, "--host: "),
    dataDir: emptyToUndefined(overrides.dataDir),
    configFile: emptyToUndefined(overrides.configFile),
  };

  const production = parsedEnv.NODE_ENV === "production";
  const dev = overrides.dev === true;
  if (dev && production) throw new ConfigError("--dev: not allowed with NODE_ENV=production (it turns on GraphiQL, introspection and open CORS)");

  const configPath = flags.configFile ?? parsedEnv.SYNCPOOL_CONFIG;
  const configFile = configPath === undefined ? null : resolve(configPath);
  const file = configFile === null ? null : readConfigFile(configFile);
  const pools = file?.pools ?? [];

  const warnings = Object.keys(env)
    .filter((name) => name.startsWith("SYNCPOOL_") && !KNOWN_ENV.has(name))
    .map((name) => `environment variable ${name} is not a syncpool setting (ignored)`);

  const host = flags.host ?? parsedEnv.HOST;
  const published = findExampleSecrets(pools).map((use) => `config file ${configFile}: ${use.path}: this is an example secret printed in the docs`);
  // On a developer's machine the documented commands must work as written; anywhere else a public secret is a hole.
  if (published.length > 0 && (production || !isLoopbackHost(host))) {
    throw new ConfigError(published.map((line) => `${line}: generate your own (openssl rand -hex 32)`).join("\n"));
  }
  if (parsedEnv.SYNCPOOL_METRICS === "admin" && parsedEnv.SYNCPOOL_ADMIN_TOKEN === undefined) {
    throw new ConfigError("environment variable SYNCPOOL_METRICS: admin needs SYNCPOOL_ADMIN_TOKEN (the token /metrics asks for)");
  }
  // Instances on one PostgreSQL database open each other's keys only with one shared master key; a
  // key generated per data directory would split them (and lose the keys with the directory).
  if (parsedEnv.DATABASE_URL !== undefined && parsedEnv.SYNCPOOL_MASTER_KEY === undefined && (production || !isLoopbackHost(host))) {
    throw new ConfigError(
      "environment variable SYNCPOOL_MASTER_KEY: required with DATABASE_URL when NODE_ENV=production or HOST is not loopback; " +
        "give every instance the same key (generate once with: openssl rand -base64 32, and back it up)",
    );
  }
  warnings.push(...published.map((line) => `${line}: fine for trying the examples on this machine, refused with NODE_ENV=production or a non-loopback HOST`));

  const tls = toTlsConfig(parsedEnv);
  return {
    port: flags.port ?? parsedEnv.PORT,
    host,
    tls,
    dataDir: resolve(flags.dataDir ?? parsedEnv.SYNCPOOL_DATA_DIR),
    configFile,
    adminToken: parsedEnv.SYNCPOOL_ADMIN_TOKEN ?? null,
    masterKey: parsedEnv.SYNCPOOL_MASTER_KEY ?? null,
    logLevel: parsedEnv.LOG_LEVEL,
    production,
    dev,
    sqliteSynchronous: parsedEnv.SYNCPOOL_SQLITE_SYNCHRONOUS,
    databaseUrl: parsedEnv.DATABASE_URL ?? null,
    databaseSchema: parsedEnv.SYNCPOOL_DATABASE_SCHEMA,
    databasePoolSize: parsedEnv.SYNCPOOL_DATABASE_POOL_SIZE,
    redisUrl: parsedEnv.REDIS_URL ?? null,
    tokenTtlSeconds: parsedEnv.SYNCPOOL_TOKEN_TTL_SECONDS,
    shutdownTimeoutMs: parsedEnv.SYNCPOOL_SHUTDOWN_TIMEOUT_MS,
    mutationRetentionHours: parsedEnv.SYNCPOOL_MUTATION_RETENTION_HOURS,
    corsOrigins: parsedEnv.SYNCPOOL_CORS_ORIGINS ?? (dev ? ["*"] : []),
    trustedProxyHops: parsedEnv.SYNCPOOL_TRUSTED_PROXY_HOPS,
    pools,
    warnings,
    push: toPushConfig(parsedEnv, (message) => {
      throw new ConfigError(message);
    }),
    stream: toStreamConfig(parsedEnv),
    aws: toAwsConfig(parsedEnv),
    userPools: toUserPoolsConfig(parsedEnv, file?.userPools, host, flags.port ?? parsedEnv.PORT, tls !== null),
    ydoc: toYdocConfig(parsedEnv),
    outbound: { allowPrivateAddresses: parsedEnv.SYNCPOOL_OUTBOUND_ALLOW_PRIVATE === "true" },
    metrics: parsedEnv.SYNCPOOL_METRICS,
  };
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
