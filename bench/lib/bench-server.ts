/**
 * A real syncpool server for the benches: the CLI's `startServer`, on 127.0.0.1 port 0, with a
 * temporary data directory, on SQLite or on a fresh PostgreSQL schema (dropped on close).
 *
 * The limits that protect a production server from floods are lifted, because here the flood is
 * the measurement: the per-identity and per-address rate limits (one token per request and per
 * WebSocket operation; defaults 50/s and 200/s) and the live connections per identity (default 20).
 * Everything else is the production default, SQLite's `synchronous = FULL` included unless a
 * scenario asks for NORMAL.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { loadConfig, poolSettingsSchema, type ServerConfig } from "../../server/config.js";
import { silentLogger } from "../../server/logger.js";
import { startServer, type RunningServer } from "../../server/node.js";
import { DEFAULT_PUSH_CONFIG } from "../../server/push/push-config.js";
import { userPoolSettingsSchema } from "../../server/user-pool/user-pool-config.js";
import { openPostgresStorage } from "../../server/storage/postgres.js";
import type { Storage } from "../../server/storage/storage.js";
import type { StreamHandler } from "../../server/stream/consumer.js";

/** Where benches find PostgreSQL: `SYNCPOOL_BENCH_DATABASE_URL`, else the local trust-auth `test` database. */
export const BENCH_DATABASE_URL = process.env.SYNCPOOL_BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** The admin token bench servers start with (the stream scenario reads the stream with it). */
export const BENCH_ADMIN_TOKEN = "bench-admin-token-not-secret-0123456789";

/** Rate limits no bench reaches. */
const UNTHROTTLED = { burst: 1_000_000, perSecond: 1_000_000 };

export interface BenchServerOptions {
  storage: "sqlite" | "postgres";
  /** SQLite durability; default FULL, the production default. */
  sqliteSynchronous?: "FULL" | "NORMAL";
  /** Live connections one identity may hold; default 20,000. */
  maxConnectionsPerIdentity?: number;
  /** In-process stream consumers. */
  handlers?: readonly StreamHandler[];
  /**
   * An Amplify GraphQL schema (SDL) for pool `default`'s model API (`/appsync/default/graphql`).
   * Its datasets then hold up to 1,000,000 records and 1 GiB: a model's dataset is an app's
   * whole table, not a Cognito Sync dataset.
   */
  modelsSchema?: string;
}

export interface BenchServer {
  running: RunningServer;
  graphqlUrl: string;
  /** The server's data directory (the user pool writes its mailed codes there). */
  dataDir: string;
  /** What ran: "sqlite (FULL)", "postgres 16.4 (schema ...)". */
  describe: string;
  close(): Promise<void>;
}

/** The config of a bench server: production (`NODE_ENV=production`, as docs/security.md asks) with the flood limits lifted. */
export function benchServerConfig(dataDir: string, options: BenchServerOptions): ServerConfig {
  const base = loadConfig({ NODE_ENV: "production", LOG_LEVEL: "silent", SYNCPOOL_ADMIN_TOKEN: BENCH_ADMIN_TOKEN }, { port: 0, host: "127.0.0.1", dataDir });
  return {
    ...base,
    sqliteSynchronous: options.sqliteSynchronous ?? "FULL",
    // Every bench client connects from loopback: the per-address and total connection caps are lifted too.
    push: { ...DEFAULT_PUSH_CONFIG, maxConnectionsPerIdentity: options.maxConnectionsPerIdentity ?? 20_000, maxConnections: 1_000_000, maxConnectionsPerAddress: 1_000_000 },
    // The user pool's per-address limits are lifted too: every sign-in comes from loopback.
    userPools: {
      ...base.userPools,
      pools: [userPoolSettingsSchema.parse({ id: "local_default", rateLimits: { signIn: UNTHROTTLED, signUp: UNTHROTTLED, forgotPassword: UNTHROTTLED, codeConfirmation: UNTHROTTLED } })],
    },
    pools: [
      poolSettingsSchema.parse({
        id: "default",
        rateLimits: { perIdentity: UNTHROTTLED, perAddress: UNTHROTTLED, pushBytes: { burst: 1_099_511_627_776, perSecond: 1_099_511_627_776 }, maxGuestIdentitiesPerAddressPerHour: 1_000_000 },
        ...(options.modelsSchema ? { models: { schema: options.modelsSchema }, limits: { maxRecords: 1_000_000, maxDatasetBytes: 1_073_741_824 } } : {}),
      }),
    ],
  };
}

/** Whether PostgreSQL answers within 3 s; the reason when it does not. */
export async function probePostgres(): Promise<{ reachable: boolean; version: string; reason: string }> {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>("SHOW server_version");
    return { reachable: true, version: rows[0]?.server_version ?? "?", reason: "" };
  } catch (error) {
    return { reachable: false, version: "", reason: error instanceof Error ? error.message : String(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Starts a bench server; `close()` stops it and removes its data directory (and PostgreSQL schema). */
export async function startBenchServer(options: BenchServerOptions): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "syncpool-bench-"));
  let storage: Storage | undefined;
  let schema: string | undefined;
  try {
    const config = benchServerConfig(dataDir, options);
    if (options.storage === "postgres") {
      schema = `syncpool_bench_${randomBytes(6).toString("hex")}`;
      storage = await openPostgresStorage({ url: BENCH_DATABASE_URL, schema, poolSize: 10, detectNestedWrites: !config.production });
    }
    const running = await startServer(config, { logger: silentLogger(), ...(storage ? { storage } : {}), ...(options.handlers ? { handlers: options.handlers } : {}) });
    const describe = options.storage === "postgres" ? `postgres (schema ${schema})` : `sqlite (synchronous=${config.sqliteSynchronous})`;
    return {
      running,
      graphqlUrl: running.graphqlUrl,
      dataDir,
      describe,
      close: async () => {
        await running.close(1000);
        await cleanup(dataDir, storage, schema);
      },
    };
  } catch (error) {
    await cleanup(dataDir, storage, schema);
    throw error;
  }
}

async function cleanup(dataDir: string, storage: Storage | undefined, schema: string | undefined): Promise<void> {
  await storage?.close();
  if (schema) {
    const client = new pg.Client({ connectionString: BENCH_DATABASE_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
}
