/**
 * The environment variables the server reads, each with its rule and default (the push, stream,
 * AWS, YDOC and TLS areas contribute theirs). `loadConfig` (`server/config.ts`) parses them.
 */
import { z } from "zod";
import { pushEnvShape } from "./push/push-config.js";
import { streamEnvShape } from "./stream/stream-config.js";
import { awsEnvShape } from "./aws/aws-config.js";
import { ydocEnvShape } from "./ydoc/ydoc-config.js";
import { userPoolEnvShape } from "./user-pool/user-pool-config.js";
import { tlsEnvShape } from "./config-tls.js";

/** Values of SYNCPOOL_METRICS. */
export const METRICS_MODES = ["on", "admin", "off"] as const;
/** One of `METRICS_MODES`. */
export type MetricsMode = (typeof METRICS_MODES)[number];

/** pino's levels; `silent` turns logging off. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
/** One of `LOG_LEVELS`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Shortest admin token accepted: 32 random characters cannot be guessed, even without the lockout. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** A decimal integer from `min` to `max`, given as text. */
export const intFrom = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `expected an integer from ${min} to ${max}` })
    .transform(Number)
    .pipe(z.number().min(min, { error: `expected an integer from ${min} to ${max}` }).max(max, { error: `expected an integer from ${min} to ${max}` }));

/** A host name or IP address. */
export const hostSchema = z
  .string()
  .regex(/^[A-Za-z0-9.:\-[\]]{1,253}$/, { error: "expected a host name or IP address" });

/** Every variable the server reads, with its rule and default. */
export const envSchema = z.object({
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
  ...userPoolEnvShape,
  ...ydocEnvShape,
  ...tlsEnvShape,
});

/** Names of the variables the server reads. */
export const KNOWN_ENV = new Set(Object.keys(envSchema.shape));

