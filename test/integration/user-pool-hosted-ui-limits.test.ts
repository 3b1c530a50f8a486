/**
 * The hosted UI's sign-in form under the per-address sign-in bucket (`address-limits.ts`) that
 * InitiateAuth and RespondToAuthChallenge take from: a burst of password POSTs from one address is
 * answered with the form again, HTTP 429 and a clear message, while another address still signs in;
 * a refused POST changes nothing (no failed sign-in counted, no sign-in even with the right password);
 * the page and the API share the bucket; it refills on the injected clock. Client addresses come from
 * X-Forwarded-For behind one trusted proxy hop.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formOf } from "../helpers/hosted-ui-browser.js";
import { startRateLimitedUserPool, type RateLimitedUserPool } from "../helpers/rate-limited-user-pool.js";
import type { InProcessServer } from "../helpers/server.js";

const POOL = "local_hostedlimits";
const CLIENT = "web";
const CALLBACK = "http://localhost:3000/";
const PASSWORD = "Correct-horse-9";
const ATTACKER = "203.0.113.7";
const NEIGHBOUR = "198.51.100.9";
const TOO_MANY = "Too many sign-in attempts from your network. Wait a minute, then try again.";
let pool: RateLimitedUserPool;
let server: InProcessServer;

beforeAll(async () => {
  const rateLimits = { signIn: { burst: 3, perSecond: 1 } };
  pool = await startRateLimitedUserPool({ publicUrl: "http://hosted.test", pool: { id: POOL, clients: [{ id: CLIENT, callbackUrls: [CALLBACK] }], rateLimits }, user: "nina", password: PASSWORD });
  server = pool.server;
});
afterAll(async () => {
  await pool?.close();
});

/** A browser at `address` on the sign-in form: posts a password to it and tells what came back. */
async function formAt(address: string) {
  const form = await pool.openSignInForm(address, CLIENT, CALLBACK);
  expect(form.pageStatus).toBe(200);
  return async (password: string) => {
    const answer = await form.submit("nina", password);
    const html = answer.status === 302 ? "" : await answer.text();
    return { status: answer.status, type: answer.headers.get("content-type"), signedIn: answer.status === 302 && answer.headers.get("location")!.startsWith(CALLBACK), tooMany: html.includes(TOO_MANY), html };
  };
}

describe("the hosted sign-in form under the per-address sign-in limit", () => {
  it("answers a burst of password POSTs from one address with HTTP 429 and the form, while another address signs in, and counts nothing refused", async () => {
    const attacker = await formAt(ATTACKER);
    for (let attempt = 0; attempt < 3; attempt++) expect(await attacker("Wrong-horse-9")).toMatchObject({ status: 400, tooMany: false });
    const refused = await attacker(PASSWORD);
    expect(refused).toMatchObject({ status: 429, type: "text/html; charset=utf-8", signedIn: false, tooMany: true });
    // The form is shown again, ready for a later try.
    expect(formOf(refused.html).csrf).not.toBe("");
    // Only the three wrong passwords that were checked count towards nina's lockout.
    const sub = (await server.storage.userPools.getUser(POOL, "nina"))!.sub;
    expect(await attacker("Wrong-horse-9")).toMatchObject({ status: 429, tooMany: true });
    expect(await server.storage.userPools.getSignInFailures(POOL, sub)).toMatchObject({ failures: 3 });
    expect(await (await formAt(NEIGHBOUR))(PASSWORD)).toMatchObject({ status: 302, signedIn: true });

    // The page and the API take from one bucket.
    const api = await pool.callFrom(ATTACKER, "InitiateAuth", { ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "nina", PASSWORD } });
    expect(api.type).toBe("TooManyRequestsException");

    // The bucket refills at one request a second.
    pool.advanceClock(1000);
    expect(await attacker(PASSWORD)).toMatchObject({ status: 302, signedIn: true });
    expect(await attacker(PASSWORD)).toMatchObject({ status: 429, tooMany: true });
  });

  it("takes nothing for showing the form", async () => {
    pool.advanceClock(10_000);
    for (let view = 0; view < 5; view++) await formAt(ATTACKER);
    expect(await (await formAt(ATTACKER))(PASSWORD)).toMatchObject({ status: 302, signedIn: true });
  });
});
