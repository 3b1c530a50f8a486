/**
 * Server configuration, parsed once. This is the only module that reads the environment (and it
 * takes the environment as an argument, so tests pass their own). Sources, strongest first: CLI
 * flags, environment variables, the JSON config file, defaults. Any bad value or unknown field
 * stops start-up with a `ConfigError` naming it.
 *
 * HOST defaults to 127.0.0.1: a fresh `npm start` is reachable from this machine only. Set
 * `HOST=0.0.0.0` to serve other machines (in a container, for example).
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { poolSettingsSchema, type PoolSettings } from "./identity/pool-settings.js";
import { pushEnvShape, toPushConfig, type PushConfig } from "./push/push-config.js";
import { streamEnvShape, toStreamConfig, type StreamConfig } from "./stream/stream-config.js";
import { awsEnvShape, toAwsConfig, type AwsConfig } from "./aws/aws-config.js";
import { findExampleSecrets, isLoopbackHost } from "./example-secrets.js";
import { toYdocConfig, ydocEnvShape, type YdocConfig } from "./ydoc/ydoc-config.js";
import type { OutboundPolicy } from "./outbound-http.js";

export { poolSettingsSchema, type PoolSettings } from "./identity/pool-settings.js";

/** A configuration mistake; the message names the source and the field and is meant for humans. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** The validated configuration the server runs with. */
export interface ServerConfig {
  port: number;
  host: string;
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

/** Values of SYNCPOOL_METRICS. */
export const METRICS_MODES = ["on", "admin", "off"] as const;
/** One of `METRICS_MODES`. */
export type MetricsMode = (typeof METRICS_MODES)[number];

/** pino's levels; `silent` turns logging off. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
/** One of `LOG_LEVELS`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** CLI flags; each one, when given, wins over its environment variable. */
export interface ConfigOverrides {
  port?: string | number | undefined;
  host?: string | undefined;
  dataDir?: string | undefined;
  configFile?: string | undefined;
  /** `--dev`: GraphiQL, introspection and open CORS for local development. */
  dev?: boolean | undefined;
}

/** Shortest admin token accepted: 32 random characters cannot be guessed, even without the lockout. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

const intFrom = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `expected an integer from ${min} to ${max}` })
    .transform(Number)
    .pipe(z.number().min(min, { error: `expected an integer from ${min} to ${max}` }).max(max, { error: `expected an integer from ${min} to ${max}` }));

const hostSchema = z
  .string()
  .regex(/^[A-Za-z0-9.:\-[\]]{1,253}$/, { error: "expected a host name or IP address" });

/** Every variable the server reads, with its rule and default. */
const envSchema = z.object({
  PORT: intFrom(0, 65535).default(4000),
  HOST: hostSchema.default("127.0.0.1"),
  SYNCPOOL_DATA_DIR: z.string().min(1, { error: "expected a directory path" }).default("./.syncpool"),
  SYNCPOOL_CONFIG: z.string().min(1, { error: "expected a file path" }).optional(),
  SYNCPOOL_ADMIN_TOKEN: z
    .string()
    .min(MIN_ADMIN_TOKEN_LENGTH, { error: `expected at least ${MIN_ADMIN_TOKEN_LENGTH} characters (it guards the admin API; generate one with: openssl rand -hex 32)` })
    .optional(),
  SYNCPOOL_MASTER_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, { error: "expected 32 bytes in base64 (generate with: openssl rand -base64 32)" })
    .transform((text) => new Uint8Array(Buffer.from(text, "base64")))
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  NODE_ENV: z.string().optional(),
  SYNCPOOL_SQLITE_SYNCHRONOUS: z.enum(["FULL", "NORMAL"], { error: "expected FULL or NORMAL" }).default("FULL"),
  SYNCPOOL_TOKEN_TTL_SECONDS: intFrom(1, 86_400).default(900),
  SYNCPOOL_SHUTDOWN_TIMEOUT_MS: intFrom(0, 600_000).default(10_000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, { error: "expected a postgres:// or postgresql:// URL" })
    .optional(),
  SYNCPOOL_DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: "expected a lowercase PostgreSQL schema name (a-z 0-9 _)" })
    .default("public"),
  SYNCPOOL_DATABASE_POOL_SIZE: intFrom(2, 1000).default(10),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/.+/, { error: "expected a redis:// or rediss:// URL" })
    .optional(),
  SYNCPOOL_MUTATION_RETENTION_HOURS: intFrom(24, 8_760).default(48),
  SYNCPOOL_CORS_ORIGINS: z
    .string()
    .transform((text) => text.split(",").map((origin) => origin.trim()).filter((origin) => origin !== ""))
    .pipe(
      z.array(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, { error: "expected * or origins like https://app.example.com, comma-separated" })).min(1, {
        error: "expected * or origins like https://app.example.com, comma-separated",
      }),
    )
    .optional(),
  SYNCPOOL_TRUSTED_PROXY_HOPS: intFrom(0, 10).default(0),
  SYNCPOOL_OUTBOUND_ALLOW_PRIVATE: z.enum(["true", "false"], { error: "expected true or false" }).default("false"),
  SYNCPOOL_METRICS: z.enum(METRICS_MODES, { error: `expected one of ${METRICS_MODES.join(", ")}` }).default("off"),
  ...pushEnvShape,
  ...streamEnvShape,
  ...awsEnvShape,
  ...ydocEnvShape,
});

const KNOWN_ENV = new Set(Object.keys(envSchema.shape));

/** The JSON config file. */
const fileSchema = z
  .object({
    pools: z
      .array(poolSettingsSchema, { error: "expected an array of pools" })
      .default([])
      .superRefine((pools, ctx) => {
        const seen = new Set<string>();
        pools.forEach((pool, index) => {
          if (seen.has(pool.id)) ctx.addIssue({ code: "custom", message: `duplicate pool id "${pool.id}"`, path: [index, "id"] });
          seen.add(pool.id);
        });
      }),
  })
  .strict();

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
  const pools = configFile === null ? [] : readConfigFile(configFile).pools;

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

  return {
    port: flags.port ?? parsedEnv.PORT,
    host,
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
    ydoc: toYdocConfig(parsedEnv),
    outbound: { allowPrivateAddresses: parsedEnv.SYNCPOOL_OUTBOUND_ALLOW_PRIVATE === "true" },
    metrics: parsedEnv.SYNCPOOL_METRICS,
  };
}

function readConfigFile(file: string): z.output<typeof fileSchema> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`config file ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${file}: not valid JSON (${(error as Error).message})`);
  }
  return parseOrThrow(fileSchema, inlineSchemaFiles(json, file), `config file ${file}: `);
}

/**
 * A pool's `jsonSchemas[].schema` may name a JSON file (relative to the config file) instead of
 * holding the schema: read it here, once, so pool settings always hold the schema itself.
 */
function inlineSchemaFiles(json: unknown, file: string): unknown {
  const pools = (json as { pools?: unknown } | null)?.pools;
  if (!Array.isArray(pools)) return json;
  pools.forEach((pool: unknown, poolIndex) => {
    const entries = (pool as { jsonSchemas?: unknown } | null)?.jsonSchemas;
    if (!Array.isArray(entries)) return;
    entries.forEach((entry: unknown, entryIndex) => {
      const schema = (entry as { schema?: unknown } | null)?.schema;
      if (typeof schema !== "string") return;
      const path = resolve(dirname(file), schema);
      try {
        (entry as { schema: unknown }).schema = JSON.parse(readFileSync(path, "utf8"));
      } catch (error) {
        throw new ConfigError(`config file ${file}: pools[${poolIndex}].jsonSchemas[${entryIndex}].schema: cannot read ${path} as JSON (${(error as Error).message})`);
      }
    });
  });
  return json;
}

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, label: string): z.output<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(describeZodError(result.error, label));
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/**
 * One line per problem, `<label><path>: <message>`, e.g.
 * `config file /x.json: pools[0].limits.maxRecords: expected a positive integer`. Unknown fields
 * are reported at their own path. Shared with the admin API so both speak the same way.
 */
export function describeZodError(error: z.ZodError, label: string): string {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) lines.push(`${label}${joinPath([...issue.path, key])}: unknown field`);
      continue;
    }
    const path = joinPath(issue.path);
    // Needs `reportInput: true` in the parse, so a missing field is told apart from a wrong one.
    const message = issue.code === "invalid_type" && issue.input === undefined ? "required" : issue.message;
    lines.push(path === "" ? `${label}${message}` : `${label}${path}: ${message}`);
  }
  return lines.join("\n");
}

/** `["pools", 0, "limits"]` -> `pools[0].limits`. */
export function joinPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === "number") return `${text}[${segment}]`;
    return text === "" ? String(segment) : `${text}.${String(segment)}`;
  }, "");
}
