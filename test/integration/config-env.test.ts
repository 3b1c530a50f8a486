import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { configError, configFile } from "../helpers/config.js";

describe("environment", () => {
  it("uses safe defaults when nothing is set", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: "127.0.0.1",
      dataDir: resolve("./.syncpool"),
      configFile: null,
      adminToken: null,
      logLevel: "info",
      production: false,
      dev: false,
      corsOrigins: [],
      sqliteSynchronous: "FULL",
      tokenTtlSeconds: 900,
      shutdownTimeoutMs: 10_000,
      databaseUrl: null,
      mutationRetentionHours: 48,
      pools: [],
      warnings: [],
    });
  });

  it("reads every variable", () => {
    const config = loadConfig({
      PORT: "8080",
      HOST: "0.0.0.0",
      SYNCPOOL_DATA_DIR: "/var/lib/syncpool",
      SYNCPOOL_ADMIN_TOKEN: "a".repeat(32),
      LOG_LEVEL: "debug",
      NODE_ENV: "production",
      SYNCPOOL_SQLITE_SYNCHRONOUS: "NORMAL",
      SYNCPOOL_TOKEN_TTL_SECONDS: "60",
      DATABASE_URL: "postgres://sync@db.internal:5432/sync",
      SYNCPOOL_MASTER_KEY: Buffer.alloc(32, 1).toString("base64"),
      SYNCPOOL_MUTATION_RETENTION_HOURS: "72",
      SYNCPOOL_SHUTDOWN_TIMEOUT_MS: "2500",
    });
    expect(config).toMatchObject({
      port: 8080,
      host: "0.0.0.0",
      dataDir: "/var/lib/syncpool",
      adminToken: "a".repeat(32),
      logLevel: "debug",
      production: true,
      sqliteSynchronous: "NORMAL",
      tokenTtlSeconds: 60,
      databaseUrl: "postgres://sync@db.internal:5432/sync",
      masterKey: new Uint8Array(32).fill(1),
      mutationRetentionHours: 72,
      shutdownTimeoutMs: 2500,
    });
  });

  it("requires SYNCPOOL_MASTER_KEY with PostgreSQL in production or on a non-loopback host, and not on this machine", () => {
    const url = "postgres://sync@db.internal:5432/sync";
    expect(() => loadConfig({ DATABASE_URL: url, NODE_ENV: "production" })).toThrow(/SYNCPOOL_MASTER_KEY: required with DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: url, HOST: "0.0.0.0" })).toThrow(/SYNCPOOL_MASTER_KEY: required with DATABASE_URL/);
    expect(loadConfig({ DATABASE_URL: url }).masterKey).toBeNull();
    expect(loadConfig({ NODE_ENV: "production", HOST: "0.0.0.0" }).masterKey).toBeNull();
  });

  it("lets CLI flags win over the environment", () => {
    const file = configFile({ pools: [{ id: "from-flag" }] });
    const config = loadConfig(
      { PORT: "8080", HOST: "0.0.0.0", SYNCPOOL_DATA_DIR: "/env", SYNCPOOL_CONFIG: "/does/not/exist.json" },
      { port: "0", host: "127.0.0.1", dataDir: "/flag", configFile: file },
    );
    expect(config).toMatchObject({ port: 0, host: "127.0.0.1", dataDir: "/flag", configFile: file });
    expect(config.pools.map((pool) => pool.id)).toEqual(["from-flag"]);
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ PORT: "", SYNCPOOL_ADMIN_TOKEN: "" })).toMatchObject({ port: 4000, adminToken: null });
  });

  it("warns about SYNCPOOL_ variables it does not know (typos)", () => {
    expect(loadConfig({ SYNCPOOL_DATADIR: "/x" }).warnings).toEqual([
      "environment variable SYNCPOOL_DATADIR is not a syncpool setting (ignored)",
    ]);
  });

  it.each([
    [{ PORT: "abc" }, "environment variable PORT: expected an integer from 0 to 65535"],
    [{ PORT: "70000" }, "environment variable PORT: expected an integer from 0 to 65535"],
    [{ HOST: "not a host" }, "environment variable HOST: expected a host name or IP address"],
    [{ LOG_LEVEL: "loud" }, "environment variable LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent"],
    [{ SYNCPOOL_SQLITE_SYNCHRONOUS: "OFF" }, "environment variable SYNCPOOL_SQLITE_SYNCHRONOUS: expected FULL or NORMAL"],
    [{ SYNCPOOL_TOKEN_TTL_SECONDS: "0" }, "environment variable SYNCPOOL_TOKEN_TTL_SECONDS: expected an integer from 1 to 86400"],
    [{ SYNCPOOL_SHUTDOWN_TIMEOUT_MS: "soon" }, "environment variable SYNCPOOL_SHUTDOWN_TIMEOUT_MS: expected an integer from 0 to 600000"],
    [{ SYNCPOOL_CORS_ORIGINS: "app.example.com" }, "environment variable SYNCPOOL_CORS_ORIGINS[0]: expected * or origins like https://app.example.com, comma-separated"],
    [{ DATABASE_URL: "mysql://db/x" }, "environment variable DATABASE_URL: expected a postgres:// or postgresql:// URL"],
    [{ SYNCPOOL_MUTATION_RETENTION_HOURS: "1" }, "environment variable SYNCPOOL_MUTATION_RETENTION_HOURS: expected an integer from 24 to 8760"],
    [{ SYNCPOOL_ADMIN_TOKEN: "short" }, "environment variable SYNCPOOL_ADMIN_TOKEN: expected at least 32 characters"],
  ])("refuses %j, naming the variable", (env, message) => {
    expect(configError(() => loadConfig(env))).toContain(message);
  });

  it("refuses a bad --port or --host flag, naming the flag", () => {
    expect(configError(() => loadConfig({}, { port: "-1" }))).toBe("--port: expected an integer from 0 to 65535");
    expect(configError(() => loadConfig({}, { host: "a b" }))).toBe("--host: expected a host name or IP address");
  });
});
