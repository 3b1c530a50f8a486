/**
 * Shared by the config tests (environment, file, CLI): config files written to a temporary
 * directory emptied when each test file ends, the `ConfigError` message a load throws, and a pool
 * that sets every field.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { ConfigError } from "../../server/config.js";
import { onEveryFileEnd } from "./file-end.js";

/** The temporary directory of this test file's config files: emptied when each file ends, removed when the worker exits. */
export const configDir = mkdtempSync(join(tmpdir(), "syncpool-config-"));
onEveryFileEnd(() => {
  rmSync(configDir, { recursive: true, force: true });
  mkdirSync(configDir);
});
process.once("exit", () => rmSync(configDir, { recursive: true, force: true }));

let fileCount = 0;
/** Writes `content` (JSON-encoded unless a string) to a fresh file and returns its path. */
export function configFile(content: unknown): string {
  const file = join(configDir, `config-${(fileCount += 1)}.json`);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

/** The message of the `ConfigError` that `load` throws; fails the test when it throws none or another error. */
export function configError(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

/** A pool with every field set. */
export const validPool = {
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

/** A config file body with one pool "app" holding `fields`. */
export function withPool(fields: Record<string, unknown>) {
  return { pools: [{ id: "app", ...fields }] };
}
