/**
 * Per-address limits of the user-pool API (`server/user-pool/address-limits.ts`): a burst of
 * sign-ins from one address is refused with Cognito's TooManyRequestsException while another
 * address still signs in; a refused request changes nothing (no failed sign-in counted, no code
 * mailed); the bucket refills on the injected clock. Client addresses come from X-Forwarded-For
 * behind one trusted proxy hop, as a server behind a balancer sees them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRateLimitedUserPool, type RateLimitedUserPool } from "../helpers/rate-limited-user-pool.js";
import type { InProcessServer } from "../helpers/server.js";
import { codeFromLog } from "../helpers/user-pool-clients.js";

const POOL = "local_default";
const CLIENT = "default";
const PASSWORD = "Correct-horse-9";
const ATTACKER = "203.0.113.7";
const NEIGHBOUR = "198.51.100.9";
let pool: RateLimitedUserPool;
let server: InProcessServer;

beforeAll(async () => {
  const rateLimits = { signIn: { burst: 3, perSecond: 1 }, forgotPassword: { burst: 1, perSecond: 1 } };
  pool = await startRateLimitedUserPool({ publicUrl: "http://user-pool.test", pool: { id: POOL, rateLimits }, user: "amy", password: PASSWORD });
  server = pool.server;
});
afterAll(async () => {
  await pool?.close();
});

const call = (address: string, operation: string, body: unknown) => pool.callFrom(address, operation, body);

const passwordSignIn = (address: string, password = PASSWORD) =>
  call(address, "InitiateAuth", { ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "amy", PASSWORD: password } });

describe("per-address limits of the user pool", () => {
  it("refuses a burst of sign-ins from one address with TooManyRequestsException while another address still signs in", async () => {
    for (let request = 0; request < 3; request++) expect((await passwordSignIn(ATTACKER)).status).toBe(200);
    const refused = await passwordSignIn(ATTACKER);
    expect(refused).toMatchObject({ status: 400, type: "TooManyRequestsException", header: "TooManyRequestsException", body: { message: "Rate exceeded" } });
    expect(refused.body["AuthenticationResult"]).toBeUndefined();
    expect((await passwordSignIn(NEIGHBOUR)).body["AuthenticationResult"]).toMatchObject({ AccessToken: expect.any(String) });

    // A refused wrong password is not counted towards amy's lockout.
    const sub = (await server.storage.userPools.getUser(POOL, "amy"))!.sub;
    expect(await passwordSignIn(ATTACKER, "Wrong-horse-9")).toMatchObject({ type: "TooManyRequestsException" });
    expect(await server.storage.userPools.getSignInFailures(POOL, sub)).toBeNull();

    // The bucket refills at one request a second.
    pool.advanceClock(1000);
    expect(await passwordSignIn(ATTACKER, "Wrong-horse-9")).toMatchObject({ type: "NotAuthorizedException" });
    expect(await server.storage.userPools.getSignInFailures(POOL, sub)).toMatchObject({ failures: 1 });
    expect(await passwordSignIn(ATTACKER)).toMatchObject({ type: "TooManyRequestsException" });
  });

  it("sends no reset code for a refused ForgotPassword", async () => {
    expect((await call(ATTACKER, "ForgotPassword", { ClientId: CLIENT, Username: "amy" })).status).toBe(200);
    const first = await codeFromLog(server.dataDir, "amy", "FORGOT_PASSWORD");
    expect(first).toMatch(/^\d{6}$/);
    const stored = await server.storage.userPools.getCode(POOL, (await server.storage.userPools.getUser(POOL, "amy"))!.sub, "FORGOT_PASSWORD");
    expect(await call(ATTACKER, "ForgotPassword", { ClientId: CLIENT, Username: "amy" })).toMatchObject({ status: 400, type: "TooManyRequestsException" });
    // The live code is the same row: nothing was mailed or replaced.
    expect(await server.storage.userPools.getCode(POOL, stored!.sub, "FORGOT_PASSWORD")).toEqual(stored);
    expect(await codeFromLog(server.dataDir, "amy", "FORGOT_PASSWORD")).toBe(first);
  });

  it("applies the defaults to pools that set no limits", async () => {
    const { userPoolSettingsSchema, DEFAULT_USER_POOL_RATE_LIMITS } = await import("../../server/user-pool/user-pool-config.js");
    expect(userPoolSettingsSchema.parse({ id: "local_other" }).rateLimits).toEqual(DEFAULT_USER_POOL_RATE_LIMITS);
    expect(() => userPoolSettingsSchema.parse({ id: "local_other", rateLimits: { signIn: { burst: 0, perSecond: 1 } } })).toThrow();
  });
});
