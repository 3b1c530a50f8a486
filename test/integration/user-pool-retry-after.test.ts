/**
 * The per-address limits' refusals say when to try again: the API's TooManyRequestsException and
 * the hosted sign-in form's HTTP 429 both carry `Retry-After`, the whole seconds until the
 * address's bucket holds a token again, read from the bucket (a slow refill waits longer, a partly
 * refilled bucket less), and a browser app may read it (CORS exposes it). The buckets run on an
 * injected clock; client addresses come from X-Forwarded-For behind one trusted proxy hop.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieJar, formOf, pkcePair } from "../helpers/hosted-ui-browser.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";

const POOL = "local_retryafter";
const CLIENT = "web";
const CALLBACK = "http://localhost:3000/";
const PASSWORD = "Correct-horse-9";
let server: InProcessServer;
let rateClockMs = 0;

beforeAll(async () => {
  // One sign-in, then one every 4 s; sign-ups one, then one every 2 s.
  const pools = [{ id: POOL, clients: [{ id: CLIENT, callbackUrls: [CALLBACK] }], rateLimits: { signIn: { burst: 1, perSecond: 0.25 }, signUp: { burst: 1, perSecond: 0.5 } } }];
  server = await startInProcessServer({
    config: { trustedProxyHops: 1, userPools: userPoolsConfig("http://retry.test", pools) },
    serverOptions: { rateLimitClock: () => rateClockMs },
  });
  const call = (operation: string, body: unknown) => callUserPool(server.testFetch, server.url, operation, body);
  await call("SignUp", { ClientId: CLIENT, Username: "lea", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "lea@example.com" }] });
  await call("ConfirmSignUp", { ClientId: CLIENT, Username: "lea", ConfirmationCode: await codeFromLog(server.dataDir, "lea", "SIGN_UP") });
});
afterAll(async () => {
  await server?.close();
});

async function api(address: string, operation: string, body: unknown) {
  const response = await server.testFetch(`${server.url}/aws/cognito-idp`, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${operation}`, "x-forwarded-for": address },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  return { status: response.status, type: json["__type"], retryAfter: response.headers.get("retry-after"), exposed: response.headers.get("access-control-expose-headers") };
}

const signIn = (address: string) => api(address, "InitiateAuth", { ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "lea", PASSWORD } });

/** Posts lea's password to the hosted sign-in form from `address`. */
async function formSignIn(address: string) {
  const query = new URLSearchParams({ client_id: CLIENT, redirect_uri: CALLBACK, response_type: "code", scope: "openid", code_challenge: pkcePair().challenge, code_challenge_method: "S256" });
  const jar = new CookieJar();
  const page = await server.testFetch(`${server.url}/auth/${POOL}/login?${query}`, { headers: { "x-forwarded-for": address } });
  jar.take(page);
  const form = formOf(await page.text());
  const answer = await server.testFetch(new URL(form.action, server.url).toString(), {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.header(), "x-forwarded-for": address },
    body: new URLSearchParams({ _csrf: form.csrf, username: "lea", password: PASSWORD }),
  });
  return { status: answer.status, retryAfter: answer.headers.get("retry-after") };
}

describe("Retry-After on the per-address limits' refusals", () => {
  it("tells an API caller the seconds until its sign-in bucket has a token, fewer as it refills, and none on answers that pass", async () => {
    const address = "203.0.113.10";
    const first = await signIn(address);
    expect(first).toMatchObject({ status: 200, retryAfter: null });
    expect(await signIn(address)).toMatchObject({ status: 400, type: "TooManyRequestsException", retryAfter: "4" });
    rateClockMs += 2500;
    const partly = await signIn(address);
    expect(partly).toMatchObject({ type: "TooManyRequestsException", retryAfter: "2" });
    expect(partly.exposed).toContain("retry-after");
    rateClockMs += 1500;
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
    rateClockMs += 4000;
    expect((await formSignIn(address)).status).toBe(302);
  });
});
