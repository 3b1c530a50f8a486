/**
 * A user pool under per-address limits (`server/user-pool/address-limits.ts`), as the limit tests
 * need it: an in-process server behind one trusted proxy hop, so that a request's X-Forwarded-For is
 * its client address; the buckets on a clock the test moves; one confirmed user. Calls and hosted
 * sign-in forms come from the address the test names.
 *
 *   const pool = await startRateLimitedUserPool({ publicUrl: "http://limits.test", pool: { id: "local_x", rateLimits }, user: "amy", password });
 *   expect(await pool.callFrom("203.0.113.7", "InitiateAuth", { ... })).toMatchObject({ status: 200 });
 *   pool.advanceClock(1000);
 */
import { CookieJar, formOf, pkcePair } from "./hosted-ui-browser.js";
import { startInProcessServer, type InProcessServer } from "./server.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "./user-pool-clients.js";
import type { UserPoolSettingsInput } from "../../server/user-pool/user-pool-config.js";

export interface RateLimitedUserPoolOptions {
  /** The server's public URL for its user pools. */
  publicUrl: string;
  /** The pool's settings: its id, clients and `rateLimits`. Its first client signs the user up. */
  pool: UserPoolSettingsInput;
  /** The user signed up and confirmed before the tests, with `password`. */
  user: string;
  password: string;
}

/** What one user-pool API call answered. */
export interface AddressedAnswer {
  status: number;
  /** The body's `__type`. */
  type: string | undefined;
  /** `x-amzn-errortype`. */
  header: string | null;
  /** `retry-after`. */
  retryAfter: string | null;
  /** `access-control-expose-headers`. */
  exposedHeaders: string | null;
  body: Record<string, any>;
}

/** A browser on the hosted sign-in form: the page's status, and its form ready to post. */
export interface OpenSignInForm {
  pageStatus: number;
  /** Posts `username` and `password` to the form, with the page's cookies, from the same address; redirects are not followed. */
  submit(username: string, password: string): Promise<Response>;
}

export interface RateLimitedUserPool {
  server: InProcessServer;
  /** Moves the limits' clock on by `ms`: the buckets refill by as much. */
  advanceClock(ms: number): void;
  /** One call of the user-pool API as from `address`. */
  callFrom(address: string, operation: string, body: unknown): Promise<AddressedAnswer>;
  /** A browser at `address` opening the hosted sign-in form of `clientId`, which redirects to `redirectUri`. */
  openSignInForm(address: string, clientId: string, redirectUri: string): Promise<OpenSignInForm>;
  close(): Promise<void>;
}

/** Starts the server and signs up and confirms the user (from no particular address). */
export async function startRateLimitedUserPool(options: RateLimitedUserPoolOptions): Promise<RateLimitedUserPool> {
  let clockMs = 0;
  const server = await startInProcessServer({
    config: { trustedProxyHops: 1, userPools: userPoolsConfig(options.publicUrl, [options.pool]) },
    serverOptions: { rateLimitClock: () => clockMs },
  });
  const { id: poolId, clients } = options.pool;
  const clientId = clients?.[0]?.id ?? "default";

  const callFrom = async (address: string, operation: string, body: unknown): Promise<AddressedAnswer> => {
    const response = await server.testFetch(`${server.url}/aws/cognito-idp`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${operation}`, "x-forwarded-for": address },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, any>;
    const header = (name: string) => response.headers.get(name);
    return { status: response.status, type: json["__type"], header: header("x-amzn-errortype"), retryAfter: header("retry-after"), exposedHeaders: header("access-control-expose-headers"), body: json };
  };

  const openSignInForm = async (address: string, formClientId: string, redirectUri: string): Promise<OpenSignInForm> => {
    const query = new URLSearchParams({ client_id: formClientId, redirect_uri: redirectUri, response_type: "code", scope: "openid", state: "s", code_challenge: pkcePair().challenge, code_challenge_method: "S256" });
    const jar = new CookieJar();
    const page = await server.testFetch(`${server.url}/auth/${poolId}/login?${query}`, { headers: { "x-forwarded-for": address } });
    jar.take(page);
    const form = formOf(await page.text());
    const submit = (username: string, password: string) =>
      server.testFetch(new URL(form.action, server.url).toString(), {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.header(), "x-forwarded-for": address },
        body: new URLSearchParams({ _csrf: form.csrf, username, password }),
      });
    return { pageStatus: page.status, submit };
  };

  try {
    const { user, password } = options;
    const call = (operation: string, body: unknown) => callUserPool(server.testFetch, server.url, operation, body);
    const signedUp = await call("SignUp", { ClientId: clientId, Username: user, Password: password, UserAttributes: [{ Name: "email", Value: `${user}@example.com` }] });
    if (signedUp.status !== 200) throw new Error(`SignUp of ${user} failed: ${JSON.stringify(signedUp.body)}`);
    const confirmed = await call("ConfirmSignUp", { ClientId: clientId, Username: user, ConfirmationCode: await codeFromLog(server.dataDir, user, "SIGN_UP") });
    if (confirmed.status !== 200) throw new Error(`ConfirmSignUp of ${user} failed: ${JSON.stringify(confirmed.body)}`);
  } catch (error) {
    await server.close();
    throw error;
  }
  return { server, advanceClock: (ms) => void (clockMs += ms), callFrom, openSignInForm, close: () => server.close() };
}
