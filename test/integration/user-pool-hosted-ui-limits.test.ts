/**
 * The hosted UI's sign-in form under the per-address sign-in bucket (`address-limits.ts`) that
 * InitiateAuth and RespondToAuthChallenge take from: a burst of password POSTs from one address is
 * answered with the form again, HTTP 429 and a clear message, while another address still signs in;
 * a refused POST changes nothing (no failed sign-in counted, no sign-in even with the right password);
 * the page and the API share the bucket; it refills on the injected clock. Client addresses come from
 * X-Forwarded-For behind one trusted proxy hop.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieJar, formOf, pkcePair } from "../helpers/hosted-ui-browser.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";

const POOL = "local_hostedlimits";
const CLIENT = "web";
const CALLBACK = "http://localhost:3000/";
const PASSWORD = "Correct-horse-9";
const ATTACKER = "203.0.113.7";
const NEIGHBOUR = "198.51.100.9";
const TOO_MANY = "Too many sign-in attempts from your network. Wait a minute, then try again.";
let server: InProcessServer;
let rateClockMs = 0;

beforeAll(async () => {
  const pools = [{ id: POOL, clients: [{ id: CLIENT, callbackUrls: [CALLBACK] }], rateLimits: { signIn: { burst: 3, perSecond: 1 } } }];
  server = await startInProcessServer({
    config: { trustedProxyHops: 1, userPools: userPoolsConfig("http://hosted.test", pools) },
    serverOptions: { rateLimitClock: () => rateClockMs },
  });
  const call = (operation: string, body: unknown) => callUserPool(server.testFetch, server.url, operation, body);
  await call("SignUp", { ClientId: CLIENT, Username: "nina", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "nina@example.com" }] });
  await call("ConfirmSignUp", { ClientId: CLIENT, Username: "nina", ConfirmationCode: await codeFromLog(server.dataDir, "nina", "SIGN_UP") });
});
afterAll(async () => {
  await server?.close();
});

const authorizeQuery = () =>
  new URLSearchParams({ client_id: CLIENT, redirect_uri: CALLBACK, response_type: "code", scope: "openid", state: "s", code_challenge: pkcePair().challenge, code_challenge_method: "S256" });

/** A browser at `address` on the sign-in form: posts a password to it and tells what came back. */
async function formAt(address: string) {
  const jar = new CookieJar();
  const page = await server.testFetch(`${server.url}/auth/${POOL}/login?${authorizeQuery()}`, { headers: { "x-forwarded-for": address } });
  expect(page.status).toBe(200);
  jar.take(page);
  const form = formOf(await page.text());
  return async (password: string) => {
    const answer = await server.testFetch(new URL(form.action, server.url).toString(), {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.header(), "x-forwarded-for": address },
      body: new URLSearchParams({ _csrf: form.csrf, username: "nina", password }),
    });
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
    const api = await server.testFetch(`${server.url}/aws/cognito-idp`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth", "x-forwarded-for": ATTACKER },
      body: JSON.stringify({ ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "nina", PASSWORD } }),
    });
    expect(((await api.json()) as { __type?: string }).__type).toBe("TooManyRequestsException");

    // The bucket refills at one request a second.
    rateClockMs += 1000;
    expect(await attacker(PASSWORD)).toMatchObject({ status: 302, signedIn: true });
    expect(await attacker(PASSWORD)).toMatchObject({ status: 429, tooMany: true });
  });

  it("takes nothing for showing the form", async () => {
    rateClockMs += 10_000;
    for (let view = 0; view < 5; view++) await formAt(ATTACKER);
    expect(await (await formAt(ATTACKER))(PASSWORD)).toMatchObject({ status: 302, signedIn: true });
  });
});
