/**
 * A user pool's `triggers` in the config file: the forms a trigger may take and their defaults,
 * the mistakes refused with the field at fault, and module paths read relative to the config
 * file's directory, as sync triggers' are.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { silentLogger } from "../../server/logger.js";
import { createUserPoolTriggers } from "../../server/user-pool/triggers/user-pool-triggers.js";
import { configDir, configError, configFile } from "../helpers/config.js";

const loadPools = (triggers: unknown) => loadConfig({}, { configFile: configFile({ userPools: [{ id: "local_default", triggers }] }) }).userPools.pools;

describe("user-pool trigger settings", () => {
  it("reads a path as a module and an object with a url as a signed endpoint, with Cognito's 5 s limit and event version 1 by default", () => {
    const [pool] = loadPools({ preSignUp: "./pre-sign-up.mjs", preTokenGeneration: { url: "https://hooks.example.com/t", secret: "0123456789abcdef", version: "V2_0" } });
    expect(pool!.triggers).toEqual({
      preSignUp: { module: "./pre-sign-up.mjs", timeoutMs: 5000, version: "V1_0" },
      preTokenGeneration: { url: "https://hooks.example.com/t", secret: "0123456789abcdef", timeoutMs: 5000, version: "V2_0" },
    });
  });

  it("refuses an endpoint without a secret, a trigger naming both a module and a url, an unknown trigger, and custom auth without all three triggers", () => {
    expect(configError(() => loadPools({ preSignUp: { url: "https://hooks.example.com/t" } }))).toContain('required with "url"');
    expect(configError(() => loadPools({ preSignUp: { module: "./a.mjs", url: "https://hooks.example.com/t", secret: "0123456789abcdef" } }))).toContain('expected either "module" or "url"');
    expect(configError(() => loadPools({ preSignIn: "./a.mjs" }))).toContain("preSignIn");
    expect(configError(() => loadPools({ defineAuthChallenge: "./define.mjs" }))).toContain("custom authentication needs all three");
  });

  it("loads a module path relative to the config file's directory, and takes a handler's bare response", async () => {
    writeFileSync(join(configDir, "confirm-all.mjs"), "export default async () => ({ autoConfirmUser: true });\n");
    const file = configFile({ userPools: [{ id: "local_default", triggers: { preSignUp: "./confirm-all.mjs" } }] });
    const config = loadConfig({}, { configFile: file });
    const triggers = createUserPoolTriggers({ pools: config.userPools.pools, configFile: file, post: async () => ({ status: 500, text: "" }), now: Date.now, logger: silentLogger() });
    const response = await triggers.run("local_default", "preSignUp", { triggerSource: "PreSignUp_SignUp", userName: "ann", clientId: "default", request: { userAttributes: {} } });
    expect(response).toEqual({ autoConfirmUser: true });
    expect(await triggers.run("local_default", "postConfirmation", { triggerSource: "PostConfirmation_ConfirmSignUp", userName: "ann", clientId: "default", request: {} })).toBeNull();
  });
});
