import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../core/limits.js";
import { loadConfig } from "../../server/config.js";
import { configDir as dir, configError, configFile, validPool, withPool } from "../helpers/config.js";

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
