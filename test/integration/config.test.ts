import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../core/limits.js";
import { ConfigError, loadConfig } from "../../server/config.js";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "syncpool-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
/** Writes `content` (JSON-encoded unless a string) to a fresh file and returns its path. */
function configFile(content: unknown): string {
  const file = join(dir, `config-${(fileCount += 1)}.json`);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

function configError(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

const validPool = {
  id: "app",
  region: "eu-west-1",
  allowGuests: false,
  limits: { maxDatasets: 5, maxRecords: 10, maxDatasetBytes: 2048, maxClockSkewMs: 1000 },
  providers: [
    {
      name: "google",
      issuer: "https://accounts.google.com",
      audiences: ["client-1"],
      jwksUri: "https://www.googleapis.com/oauth2/v3/certs",
      allowInsecureHttp: false,
      jwksTimeoutMs: 2000,
    },
  ],
  developerProvider: { name: "login.example.app", key: "k".repeat(32) },
  syncTrigger: { url: "https://hooks.example.com/sync", secret: "s".repeat(16), timeoutMs: 2000 },
  stream: { shards: 8, retentionHours: 48, retentionBytes: 5_000_000 },
  awsGuestAccess: "open",
  defaultConflictStrategy: "OPTIMISTIC",
  developerCredentials: { accessKeyId: "AKIACONFIGTEST000001", secretAccessKey: "a-developer-secret-of-32-characters-or-more" },
  jsonSchemas: [{ datasets: "todos*", schema: { type: "object", required: ["title"] } }],
  sharedDatasets: [
    { name: "family-*", owner: "group:${tag:family}", read: ["group:${tag:family}"], write: ["group:${tag:family}"], maxRecords: 5000, maxBytes: 8_388_608 },
  ],
  roles: {
    reader: { policies: [{ effect: "allow", actions: ["read"], datasets: ["*"] }] },
    editor: { policies: [{ effect: "allow", actions: ["read", "write", "delete", "configure"], datasets: ["team-${tag:team}", "own-*"] }] },
  },
  authenticatedRole: "reader",
  roleMappings: {
    google: {
      type: "rules",
      rules: [{ claim: "hd", matchType: "Equals", value: "example.com", role: "editor" }],
      ambiguousRoleResolution: "AUTHENTICATED_ROLE",
    },
  },
  principalTags: { team: "custom:team" },
  rateLimits: {
    perIdentity: { burst: 10, perSecond: 1 },
    perAddress: { burst: 100, perSecond: 5 },
    maxGuestIdentitiesPerAddressPerHour: 20,
    pushBytes: { burst: 2_000_000, perSecond: 50_000 },
  },
};

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

describe("config file", () => {
  it("parses every pool field and keeps them all", () => {
    const config = loadConfig({ SYNCPOOL_CONFIG: configFile({ pools: [validPool] }) });
    expect(config.pools).toEqual([validPool]);
  });

  it("fills defaults for a pool that names only its id", () => {
    const [pool] = loadConfig({ SYNCPOOL_CONFIG: configFile({ pools: [{ id: "app" }] }) }).pools;
    expect(pool).toEqual({
      id: "app",
      region: "local",
      allowGuests: true,
      limits: DEFAULT_LIMITS,
      providers: [],
      stream: { shards: 4, retentionHours: 24, retentionBytes: 1_073_741_824 },
      awsGuestAccess: "secret",
      defaultConflictStrategy: "CRDT",
      jsonSchemas: [],
      sharedDatasets: [],
      roles: {},
      roleMappings: {},
      principalTags: { sub: "sub", aud: "aud" },
      rateLimits: {
        perIdentity: { burst: 600, perSecond: 50 },
        perAddress: { burst: 3000, perSecond: 200 },
        maxGuestIdentitiesPerAddressPerHour: 100,
        pushBytes: { burst: 4_194_304, perSecond: 131_072 },
      },
    });
  });

  it("fills each missing limit from the defaults", () => {
    const [pool] = loadConfig({ SYNCPOOL_CONFIG: configFile({ pools: [{ id: "app", limits: { maxRecords: 5 } }] }) }).pools;
    expect(pool?.limits).toEqual({ ...DEFAULT_LIMITS, maxRecords: 5 });
  });

  it("accepts a module sync trigger and gives a webhook trigger its default timeout", () => {
    const file = configFile({
      pools: [
        { id: "a", syncTrigger: { module: "./triggers/audit.js" } },
        { id: "b", syncTrigger: { url: "http://localhost:9000/hook", secret: "s".repeat(16) } },
      ],
    });
    expect(loadConfig({ SYNCPOOL_CONFIG: file }).pools.map((pool) => pool.syncTrigger)).toEqual([
      { module: "./triggers/audit.js" },
      { url: "http://localhost:9000/hook", secret: "s".repeat(16), timeoutMs: 5000 },
    ]);
  });

  const withPool = (fields: Record<string, unknown>) => ({ pools: [{ id: "app", ...fields }] });

  it.each([
    ["an unknown top-level field", { pools: [], extra: 1 }, "extra: unknown field"],
    ["pools that are not an array", { pools: {} }, "pools: expected an array of pools"],
    ["an unknown pool field", withPool({ colour: "red" }), "pools[0].colour: unknown field"],
    ["a missing pool id", { pools: [{ region: "local" }] }, "pools[0].id: required"],
    ["a bad pool id", { pools: [{ id: "has space" }] }, "pools[0].id: expected 1-55 characters"],
    ["a pool id over 55 characters", { pools: [{ id: "p".repeat(56) }] }, "pools[0].id: expected 1-55 characters"],
    ["a duplicate pool id", { pools: [{ id: "app" }, { id: "app" }] }, 'pools[1].id: duplicate pool id "app"'],
    ["an upper-case region", withPool({ region: "EU" }), "pools[0].region: expected 1-18 characters of a-z 0-9 -"],
    ["a region over 18 characters", withPool({ region: "r".repeat(19) }), "pools[0].region: expected 1-18 characters"],
    ["allowGuests as a string", withPool({ allowGuests: "yes" }), "pools[0].allowGuests: expected true or false"],
    ["an unknown limit", withPool({ limits: { maxFiles: 1 } }), "pools[0].limits.maxFiles: unknown field"],
    ["a zero limit", withPool({ limits: { maxRecords: 0 } }), "pools[0].limits.maxRecords: expected a positive integer"],
    ["a fractional limit", withPool({ limits: { maxDatasets: 1.5 } }), "pools[0].limits.maxDatasets: expected a positive integer"],
    ["a limit as a string", withPool({ limits: { maxClockSkewMs: "5" } }), "pools[0].limits.maxClockSkewMs: expected a positive integer"],
    ["a limit beyond GraphQL Int", withPool({ limits: { maxDatasetBytes: 2 ** 31 } }), "pools[0].limits.maxDatasetBytes: expected an integer of at most 2147483647"],
    ["a provider with a bad issuer", withPool({ providers: [{ ...validPool.providers[0], issuer: "accounts" }] }), "pools[0].providers[0].issuer: expected an http(s) URL"],
    ["a provider without audiences", withPool({ providers: [{ ...validPool.providers[0], audiences: [] }] }), "pools[0].providers[0].audiences: expected at least one audience"],
    ["a provider with an unknown field", withPool({ providers: [{ ...validPool.providers[0], scope: "x" }] }), "pools[0].providers[0].scope: unknown field"],
    ["a plain-http issuer that is not loopback", withPool({ providers: [{ name: "g", issuer: "http://g.example", audiences: ["a"] }] }), "pools[0].providers[0].issuer: expected an https URL (http only for loopback"],
    ["a plain-http JWKS URI that is not loopback", withPool({ providers: [{ ...validPool.providers[0], jwksUri: "http://g.example/keys" }] }), "pools[0].providers[0].jwksUri: expected an https URL"],
    ["a role with an unknown action", withPool({ roles: { r: { policies: [{ effect: "allow", actions: ["admin"], datasets: ["*"] }] } }, authenticatedRole: "r", guestRole: "r" }), "pools[0].roles.r.policies[0].actions[0]: expected one of read, write, delete, configure"],
    ["a dataset pattern with a bad variable", withPool({ roles: { r: { policies: [{ effect: "deny", actions: ["read"], datasets: ["x-${env:HOME}"] }] } }, authenticatedRole: "r", guestRole: "r" }), "pools[0].roles.r.policies[0].datasets[0]: expected dataset-name characters"],
    ["roles without an authenticated role", withPool({ roles: { r: {} }, guestRole: "r" }), "pools[0].authenticatedRole: required when roles are defined"],
    ["roles without a guest role in a pool with guests", withPool({ roles: { r: {} }, authenticatedRole: "r" }), "pools[0].guestRole: required when roles are defined and guests are allowed"],
    ["an unknown guest role", withPool({ roles: { r: {} }, authenticatedRole: "r", guestRole: "nobody" }), 'pools[0].guestRole: unknown role "nobody"'],
    ["a rule naming an unknown role", withPool({ ...validPool, id: "app", roleMappings: { google: { type: "rules", rules: [{ claim: "c", matchType: "Equals", value: "v", role: "admin" }] } } }), 'pools[0].roleMappings.google.rules[0].role: unknown role "admin"'],
    ["a role mapping of an unknown provider", withPool({ ...validPool, id: "app", roleMappings: { facebook: { type: "token" } } }), 'pools[0].roleMappings.facebook: no provider named "facebook"'],
    ["a rule with an unknown match type", withPool({ ...validPool, id: "app", roleMappings: { google: { type: "rules", rules: [{ claim: "c", matchType: "Like", value: "v", role: "reader" }] } } }), "pools[0].roleMappings.google.rules[0].matchType: expected Equals, Contains, StartsWith or NotEqual"],
    ["a rate limit of zero per second", withPool({ rateLimits: { perIdentity: { burst: 1, perSecond: 0 } } }), "pools[0].rateLimits.perIdentity.perSecond: expected a positive number"],
    ["two providers with one name", withPool({ providers: [validPool.providers[0], validPool.providers[0]] }), 'pools[0].providers[1].name: duplicate provider name "google"'],
    ["a short developer key", withPool({ developerProvider: { name: "dev", key: "short" } }), "pools[0].developerProvider.key: expected a secret of at least 32 characters"],
    ["a developer provider with an unknown field", withPool({ developerProvider: { name: "dev", key: "k".repeat(32), ttl: 1 } }), "pools[0].developerProvider.ttl: unknown field"],
    ["an empty sync trigger", withPool({ syncTrigger: {} }), 'pools[0].syncTrigger: expected either "module" or "url"'],
    ["a trigger with module and url", withPool({ syncTrigger: { module: "m.js", url: "https://x.example" } }), 'pools[0].syncTrigger.url: not allowed with "module"'],
    ["a webhook trigger without a secret", withPool({ syncTrigger: { url: "https://x.example" } }), 'pools[0].syncTrigger.secret: required with "url"'],
    ["a webhook trigger with a zero timeout", withPool({ syncTrigger: { url: "https://x.example", secret: "s".repeat(16), timeoutMs: 0 } }), "pools[0].syncTrigger.timeoutMs: expected an integer from 1 to 60000"],
    ["a trigger with an unknown field", withPool({ syncTrigger: { module: "m.js", retries: 3 } }), "pools[0].syncTrigger.retries: unknown field"],
    ["65 stream shards", withPool({ stream: { shards: 65 } }), "pools[0].stream.shards: expected an integer from 1 to 64"],
    ["zero retention hours", withPool({ stream: { retentionHours: 0 } }), "pools[0].stream.retentionHours: expected an integer from 1 to 8760"],
    ["retention over a year", withPool({ stream: { retentionHours: 8761 } }), "pools[0].stream.retentionHours: expected an integer from 1 to 8760"],
    ["an unknown stream field", withPool({ stream: { partitions: 2 } }), "pools[0].stream.partitions: unknown field"],
  ])("refuses %s, naming it", (_name, content, expected) => {
    const file = configFile(content);
    expect(configError(() => loadConfig({ SYNCPOOL_CONFIG: file }))).toContain(`config file ${file}: ${expected}`);
  });

  it("reports every problem of a file, one per line", () => {
    const file = configFile(withPool({ region: "EU", limits: { maxRecords: 0 } }));
    expect(configError(() => loadConfig({ SYNCPOOL_CONFIG: file })).split("\n")).toHaveLength(2);
  });

  it("refuses a file that is not JSON", () => {
    const file = configFile("{ pools: [");
    expect(configError(() => loadConfig({ SYNCPOOL_CONFIG: file }))).toMatch(new RegExp(`^config file ${file}: not valid JSON`));
  });

  it("refuses a file that cannot be read", () => {
    expect(configError(() => loadConfig({ SYNCPOOL_CONFIG: join(dir, "missing.json") }))).toBe(
      `config file ${join(dir, "missing.json")}: cannot be read (ENOENT)`,
    );
  });
});

// Each test spawns the CLI (node + tsx start-up, seconds on a busy machine).
describe("the CLI", { timeout: 30_000 }, () => {
  async function serve(args: string[], env: Record<string, string> = {}) {
    try {
      await run(process.execPath, ["--import", "tsx", "server/cli.ts", "serve", ...args], {
        cwd: repoRoot,
        env: { PATH: process.env["PATH"] ?? "", ...env },
        timeout: 20_000,
      });
      throw new Error("expected the CLI to exit with an error");
    } catch (error) {
      return error as { code: number; stdout: string; stderr: string };
    }
  }

  it("exits 1 with the field named and no stack trace on a bad config file", async () => {
    const file = configFile(withPool({ limits: { maxRecords: -1 } }));
    const result = await serve(["--config", file, "--port", "0", "--data-dir", join(dir, "cli-data")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`config file ${file}: pools[0].limits.maxRecords: expected a positive integer`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("exits 1 naming a bad environment variable", async () => {
    const result = await serve([], { PORT: "not-a-port" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("environment variable PORT: expected an integer from 0 to 65535");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

function withPool(fields: Record<string, unknown>) {
  return { pools: [{ id: "app", ...fields }] };
}
