/**
 * A pool's declared custom attributes (`customAttributes`): writes are checked against the
 * declarations, and on a live pool (a restart on the same data) attributes are added, renamed
 * (`previousNames`, values moved when the server starts) and retired (hidden and refused, values
 * kept), all of which Cognito refuses. Seen through GetUser and the ID token, in-process.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { IN_PROCESS_URL, startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";
import type { UserPoolSettingsInput } from "../../server/user-pool/user-pool-config.js";

const PASSWORD = "Correct-horse-9";

type CustomAttributes = NonNullable<UserPoolSettingsInput["customAttributes"]>;

let dataDir: string;
let server: InProcessServer | undefined;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), "syncpool-custom-attributes-"));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** (Re)starts the server on the shared data directory with `customAttributes` (undefined: schemaless). */
async function start(customAttributes: CustomAttributes | undefined): Promise<InProcessServer> {
  await server?.close();
  const pool: UserPoolSettingsInput = { id: "local_default", ...(customAttributes === undefined ? {} : { customAttributes }) };
  server = await startInProcessServer({ dataDir, captureLogs: true, config: { userPools: userPoolsConfig(IN_PROCESS_URL, [pool]) } });
  return server;
}

const call = (operation: string, body: unknown) => callUserPool(server!.testFetch, server!.url, operation, body);

/** Signs `username` up with `attributes` and confirms it; answers the sign-up call's refusal when there is one. */
async function signUp(username: string, attributes: Record<string, string>) {
  const answer = await call("SignUp", {
    ClientId: "default",
    Username: username,
    Password: PASSWORD,
    UserAttributes: [{ Name: "email", Value: `${username}@example.com` }, ...Object.entries(attributes).map(([Name, Value]) => ({ Name, Value }))],
  });
  if (answer.status !== 200) return answer;
  const code = await codeFromLog(server!.dataDir, username, "SIGN_UP");
  expect((await call("ConfirmSignUp", { ClientId: "default", Username: username, ConfirmationCode: code })).status).toBe(200);
  return answer;
}

/** The user's custom attributes as GetUser answers them and as the ID token carries them, and the access token. */
async function customOf(username: string) {
  const signedIn = await call("InitiateAuth", { ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD: PASSWORD } });
  expect(signedIn.status).toBe(200);
  const { AccessToken: accessToken, IdToken: idToken } = signedIn.body["AuthenticationResult"] as { AccessToken: string; IdToken: string };
  const user = await call("GetUser", { AccessToken: accessToken });
  const attributes = Object.fromEntries((user.body["UserAttributes"] as { Name: string; Value: string }[]).filter((a) => a.Name.startsWith("custom:")).map((a) => [a.Name, a.Value]));
  const claims = Object.fromEntries(Object.entries(decodeJwt(idToken)).filter(([name]) => name.startsWith("custom:")));
  return { attributes, claims, accessToken };
}

const DECLARED: CustomAttributes = [
  { name: "plan", maxLength: 10 },
  { name: "seats", type: "Number", minValue: 1, maxValue: 100 },
  { name: "beta", type: "Boolean" },
  { name: "tenant", mutable: false },
];

// Slow by nature: every sign-up, sign-in and password change hashes with argon2id (12 MiB, three
// passes), several per test, which takes seconds when the two cores are busy.
describe("declared custom attributes", { timeout: 30_000 }, () => {
  it("refuses undeclared, mistyped and out-of-bounds values at sign-up with Cognito's schema message, creating no user", async () => {
    await start(DECLARED);
    const refusals: [Record<string, string>, string][] = [
      [{ "custom:nickname": "x" }, "custom:nickname: Attribute does not exist in the schema."],
      [{ "custom:plan": "much-too-long-a-plan" }, "custom:plan: String must be between 0 and 10 characters."],
      [{ "custom:seats": "many" }, "custom:seats: Number must be a number."],
      [{ "custom:seats": "101" }, "custom:seats: Number must be between 1 and 100."],
      [{ "custom:beta": "yes" }, "custom:beta: Boolean must be true or false."],
    ];
    for (const [attributes, reason] of refusals) {
      const answer = await signUp("refused", attributes);
      expect({ status: answer.status, type: answer.type, message: answer.body["message"] }).toEqual({
        status: 400,
        type: "InvalidParameterException",
        message: `Attributes did not conform to the schema: ${reason}`,
      });
    }
    const retry = await signUp("refused", { "custom:seats": "3" });
    expect(retry.status).toBe(200);
  });

  it("answers and signs declared attributes as strings, and refuses changing one that is not mutable", async () => {
    await start(DECLARED);
    expect((await signUp("ann", { "custom:plan": "family", "custom:seats": "4", "custom:beta": "true", "custom:tenant": "acme" })).status).toBe(200);
    const { attributes, claims, accessToken } = await customOf("ann");
    const expected = { "custom:plan": "family", "custom:seats": "4", "custom:beta": "true", "custom:tenant": "acme" };
    expect(attributes).toEqual(expected);
    expect(claims).toEqual(expected);

    const immutable = await call("UpdateUserAttributes", { AccessToken: accessToken, UserAttributes: [{ Name: "custom:tenant", Value: "other" }] });
    expect({ type: immutable.type, message: immutable.body["message"] }).toEqual({
      type: "InvalidParameterException",
      message: "Attributes did not conform to the schema: custom:tenant: Attribute cannot be updated. (changing an immutable attribute)",
    });
    expect((await call("UpdateUserAttributes", { AccessToken: accessToken, UserAttributes: [{ Name: "custom:seats", Value: "5" }] })).status).toBe(200);
    expect((await customOf("ann")).attributes).toEqual({ ...expected, "custom:seats": "5" });
  });
});

describe("custom attributes on a live pool", { timeout: 30_000 }, () => {
  it("adds, renames and retires attributes across restarts without losing a value", async () => {
    // Schemaless: any custom: name is taken.
    await start(undefined);
    expect((await signUp("bea", { "custom:tier": "gold", "custom:color": "blue" })).status).toBe(200);
    expect((await signUp("cal", { "custom:tier": "silver", "custom:level": "team" })).status).toBe(200);

    // Declared: tier renamed to level, color declared; cal already holds level and keeps it.
    await start([{ name: "level", previousNames: ["tier"] }, { name: "color" }]);
    expect((await customOf("bea")).attributes).toEqual({ "custom:level": "gold", "custom:color": "blue" });
    expect((await customOf("bea")).claims).toEqual({ "custom:level": "gold", "custom:color": "blue" });
    expect((await customOf("cal")).attributes).toEqual({ "custom:level": "team" });
    expect(server!.logText()).toMatch(/users hold both the previous and the new name[^\n]*"cal"|"cal"[^\n]*users hold both the previous and the new name/);

    // An attribute added on the live pool is writable at once.
    await start([{ name: "level", previousNames: ["tier"] }, { name: "color" }, { name: "region" }]);
    const bea = await customOf("bea");
    expect((await call("UpdateUserAttributes", { AccessToken: bea.accessToken, UserAttributes: [{ Name: "custom:region", Value: "eu" }] })).status).toBe(200);

    // Retired: hidden from GetUser and tokens, and refused on write.
    await start([{ name: "level", previousNames: ["tier"] }, { name: "color", retired: true }, { name: "region" }]);
    const retired = await customOf("bea");
    expect(retired.attributes).toEqual({ "custom:level": "gold", "custom:region": "eu" });
    expect(retired.claims).toEqual({ "custom:level": "gold", "custom:region": "eu" });
    const write = await call("UpdateUserAttributes", { AccessToken: retired.accessToken, UserAttributes: [{ Name: "custom:color", Value: "red" }] });
    expect({ type: write.type, message: write.body["message"] }).toEqual({
      type: "InvalidParameterException",
      message: "Attributes did not conform to the schema: custom:color: Attribute does not exist in the schema.",
    });

    // Declared again: the kept value is back.
    await start([{ name: "level", previousNames: ["tier"] }, { name: "color" }, { name: "region" }]);
    expect((await customOf("bea")).attributes).toEqual({ "custom:level": "gold", "custom:color": "blue", "custom:region": "eu" });
  });

  it("refuses a config that uses one name twice across names and previous names", async () => {
    await expect(start([{ name: "level", previousNames: ["tier"] }, { name: "tier" }])).rejects.toThrow(/custom attribute name .{1,3}tier.{1,3} is used twice/);
  });
});
