/** The `migrateFrom` of a pool's config: defaults, and the refusals that keep a pool migrating from one place. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { userPoolSettingsSchema } from "../../server/user-pool/user-pool-config.js";

const cognito = { region: "eu-west-1", userPoolId: "eu-west-1_AbCdEf123", clientId: "live" };

describe("migrateFrom config", () => {
  it("defaults to AdminInitiateAuth with a 5 s limit per request", () => {
    expect(userPoolSettingsSchema.parse({ id: "local_default", migrateFrom: { cognito } }).migrateFrom).toEqual({ cognito: { ...cognito, flow: "ADMIN_USER_PASSWORD_AUTH", timeoutMs: 5000 } });
  });

  it("refuses a pool with both migrateFrom and a userMigration trigger", () => {
    const parsed = userPoolSettingsSchema.safeParse({ id: "local_default", migrateFrom: { cognito }, triggers: { userMigration: "./migrate.mjs" } });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain("migrateFrom or the userMigration trigger, not both");
  });

  it("refuses a live pool id that is not <region>_<id> and an unknown flow", () => {
    expect(userPoolSettingsSchema.safeParse({ id: "local_default", migrateFrom: { cognito: { ...cognito, userPoolId: "nope" } } }).success).toBe(false);
    expect(userPoolSettingsSchema.safeParse({ id: "local_default", migrateFrom: { cognito: { ...cognito, flow: "USER_SRP_AUTH" } } }).success).toBe(false);
  });

  it("takes the live pools' AWS credentials from the environment, and leaves them to the SDK's chain without both key parts", () => {
    const env = { LOG_LEVEL: "silent", AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "token" };
    expect(loadConfig(env, { port: 0, host: "127.0.0.1" }).userPools.migrationCredentials).toEqual({ accessKeyId: "AKIAEXAMPLE", secretAccessKey: "secret", sessionToken: "token" });
    expect(loadConfig({ LOG_LEVEL: "silent", AWS_ACCESS_KEY_ID: "AKIAEXAMPLE" }, { port: 0, host: "127.0.0.1" }).userPools.migrationCredentials).toBeNull();
  });
});
