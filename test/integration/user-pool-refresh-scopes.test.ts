/**
 * A refresh keeps the scopes of the session's original grant, as Cognito's does: tokens from the
 * hosted UI's authorization code carry the scopes the client asked for, and every refresh of that
 * session (the token endpoint's refresh_token grant, InitiateAuth REFRESH_TOKEN_AUTH and
 * GetTokensFromRefreshToken through the AWS SDK) issues access tokens with the same `scope`. A
 * sign-in through the API keeps the API's own scope. Binds a port: the AWS SDK sends its own requests.
 */
import { CognitoIdentityProviderClient, GetTokensFromRefreshTokenCommand, InitiateAuthCommand } from "@aws-sdk/client-cognito-identity-provider";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieJar, formOf, pkcePair } from "../helpers/hosted-ui-browser.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";

const POOL = "local_scopes";
const CALLBACK = "http://localhost:3000/";
const PASSWORD = "Correct-horse-9";
const FULL = "openid email profile aws.cognito.signin.user.admin";

let server: TestServer;
let cognito: CognitoIdentityProviderClient;
const base = () => `${server.url}/auth/${POOL}`;
const call = (operation: string, body: unknown) => callUserPool(fetch, server.url, operation, body);
const postForm = (url: string, fields: Record<string, string>, jar?: CookieJar) =>
  fetch(url, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", ...(jar ? { cookie: jar.header() } : {}) }, body: new URLSearchParams(fields) });
const scopeOf = (accessToken: string | undefined) => decodeJwt(accessToken!)["scope"];

beforeAll(async () => {
  server = await startTestServer({ config: { userPools: userPoolsConfig("http://scopes.test", [{ id: POOL, clients: [{ id: "web", callbackUrls: [CALLBACK] }] }]) } });
  cognito = new CognitoIdentityProviderClient({ region: "local", endpoint: `${server.url}/aws/cognito-idp`, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
  await call("SignUp", { ClientId: "web", Username: "hana", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "hana@example.com" }] });
  await call("ConfirmSignUp", { ClientId: "web", Username: "hana", ConfirmationCode: await codeFromLog(server.dataDir, "hana", "SIGN_UP") });
});
afterAll(async () => {
  cognito?.destroy();
  await server?.close();
});

/** Signs in on the hosted page asking for `scope` and exchanges the code; the token endpoint's answer. */
async function hostedTokens(scope: string): Promise<Record<string, string>> {
  const pkce = pkcePair();
  const jar = new CookieJar();
  const query = new URLSearchParams({ client_id: "web", redirect_uri: CALLBACK, response_type: "code", scope, code_challenge: pkce.challenge, code_challenge_method: "S256" });
  const authorize = await fetch(`${base()}/oauth2/authorize?${query}`, { redirect: "manual" });
  const page = await fetch(new URL(authorize.headers.get("location")!, server.url), { redirect: "manual" });
  jar.take(page);
  const form = formOf(await page.text());
  const answer = await postForm(new URL(form.action, server.url).toString(), { _csrf: form.csrf, username: "hana", password: PASSWORD }, jar);
  expect(answer.status).toBe(302);
  const code = new URL(answer.headers.get("location")!).searchParams.get("code")!;
  const tokens = await postForm(`${base()}/oauth2/token`, { grant_type: "authorization_code", client_id: "web", code, redirect_uri: CALLBACK, code_verifier: pkce.verifier });
  expect(tokens.status).toBe(200);
  return (await tokens.json()) as Record<string, string>;
}

async function refreshOverEndpoint(refreshToken: string): Promise<Record<string, string>> {
  const response = await postForm(`${base()}/oauth2/token`, { grant_type: "refresh_token", client_id: "web", refresh_token: refreshToken });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, string>;
}

describe("user-pool refresh scopes", { timeout: 30_000 }, () => {
  it("issues refreshed access tokens with the scopes of the authorization code's grant, through the token endpoint and the SDK", async () => {
    const granted = await hostedTokens(FULL);
    expect(scopeOf(granted["access_token"])).toBe(FULL);

    const overEndpoint = await refreshOverEndpoint(granted["refresh_token"]!);
    expect(scopeOf(overEndpoint["access_token"])).toBe(FULL);
    expect(overEndpoint["id_token"]).toBeDefined();

    // Rotation is on: each refresh presents the token the one before it returned.
    const initiated = await cognito.send(new InitiateAuthCommand({ ClientId: "web", AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: overEndpoint["refresh_token"]! } }));
    expect(scopeOf(initiated.AuthenticationResult?.AccessToken)).toBe(FULL);
    const fromRefresh = await cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: "web", RefreshToken: initiated.AuthenticationResult!.RefreshToken! }));
    expect(scopeOf(fromRefresh.AuthenticationResult?.AccessToken)).toBe(FULL);
    expect(decodeJwt(fromRefresh.AuthenticationResult!.AccessToken!)["origin_jti"]).toBe(decodeJwt(granted["access_token"]!)["origin_jti"]);
  });

  it("keeps a narrower grant narrow on refresh, with no ID token over the endpoint when openid was not granted", async () => {
    const granted = await hostedTokens("aws.cognito.signin.user.admin");
    expect(granted["id_token"]).toBeUndefined();
    const overEndpoint = await refreshOverEndpoint(granted["refresh_token"]!);
    expect(scopeOf(overEndpoint["access_token"])).toBe("aws.cognito.signin.user.admin");
    expect(overEndpoint["id_token"]).toBeUndefined();

    const narrow = await hostedTokens("openid email");
    const refreshed = await cognito.send(new InitiateAuthCommand({ ClientId: "web", AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: narrow["refresh_token"]! } }));
    expect(scopeOf(refreshed.AuthenticationResult?.AccessToken)).toBe("openid email");
  });

  it("keeps the API's own scope when a session signed in through the API is refreshed over the token endpoint", async () => {
    const signedIn = await cognito.send(new InitiateAuthCommand({ ClientId: "web", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "hana", PASSWORD } }));
    expect(scopeOf(signedIn.AuthenticationResult?.AccessToken)).toBe("aws.cognito.signin.user.admin");
    const overEndpoint = await refreshOverEndpoint(signedIn.AuthenticationResult!.RefreshToken!);
    expect(scopeOf(overEndpoint["access_token"])).toBe("aws.cognito.signin.user.admin");
  });
});
