/** The `migrateFrom` of a pool's config: defaults, and the refusals that keep a pool migrating from one place. */
import { describe, expect, it } from "vitest";
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
});
