/**
 * The per-address limits' refusals say when to try again: the API's TooManyRequestsException and
 * the hosted sign-in form's HTTP 429 both carry `Retry-After`, the whole seconds until the
 * address's bucket holds a token again, read from the bucket (a slow refill waits longer, a partly
 * refilled bucket less), and a browser app may read it (CORS exposes it). The buckets run on an
 * injected clock; client addresses come from X-Forwarded-For behind one trusted proxy hop.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRateLimitedUserPool, type RateLimitedUserPool } from "../helpers/rate-limited-user-pool.js";

const POOL = "local_retryafter";
const CLIENT = "web";
const CALLBACK = "http://localhost:3000/";
const PASSWORD = "Correct-horse-9";
let pool: RateLimitedUserPool;

beforeAll(async () => {
  // One sign-in, then one every 4 s; sign-ups one, then one every 2 s.
  const rateLimits = { signIn: { burst: 1, perSecond: 0.25 }, signUp: { burst: 1, perSecond: 0.5 } };
  pool = await startRateLimitedUserPool({ publicUrl: "http://retry.test", pool: { id: POOL, clients: [{ id: CLIENT, callbackUrls: [CALLBACK] }], rateLimits }, user: "lea", password: PASSWORD });
});
afterAll(async () => {
  await pool?.close();
});

const api = (address: string, operation: string, body: unknown) => pool.callFrom(address, operation, body);

const signIn = (address: string) => api(address, "InitiateAuth", { ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "lea", PASSWORD } });

/** Posts lea's password to the hosted sign-in form from `address`. */
async function formSignIn(address: string) {
  const answer = await (await pool.openSignInForm(address, CLIENT, CALLBACK)).submit("lea", PASSWORD);
  return { status: answer.status, retryAfter: answer.headers.get("retry-after") };
}

describe("Retry-After on the per-address limits' refusals", () => {
  it("tells an API caller the seconds until its sign-in bucket has a token, fewer as it refills, and none on answers that pass", async () => {
    const address = "203.0.113.10";
    const first = await signIn(address);
    expect(first).toMatchObject({ status: 200, retryAfter: null });
    expect(await signIn(address)).toMatchObject({ status: 400, type: "TooManyRequestsException", retryAfter: "4" });
    pool.advanceClock(2500);
    const partly = await signIn(address);
    expect(partly).toMatchObject({ type: "TooManyRequestsException", retryAfter: "2" });
    expect(partly.exposedHeaders).toContain("retry-after");
    pool.advanceClock(1500);
    expect(await signIn(address)).toMatchObject({ status: 200, retryAfter: null });
  });

  it("reads the seconds from the bucket of the refused operation", async () => {
    const address = "203.0.113.11";
    const signUp = (username: string) => api(address, "SignUp", { ClientId: CLIENT, Username: username, Password: PASSWORD, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] });
    expect((await signUp("mo")).status).toBe(200);
    expect(await signUp("mo2")).toMatchObject({ type: "TooManyRequestsException", retryAfter: "2" });
  });

  it("answers the hosted sign-in form's HTTP 429 with Retry-After", async () => {
    const address = "203.0.113.12";
    expect(await formSignIn(address)).toMatchObject({ status: 302, retryAfter: null });
    expect(await formSignIn(address)).toEqual({ status: 429, retryAfter: "4" });
    pool.advanceClock(4000);
    expect((await formSignIn(address)).status).toBe(302);
  });
});
