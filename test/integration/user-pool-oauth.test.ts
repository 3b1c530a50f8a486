/**
 * The hosted UI and OAuth2 endpoints over HTTP, as a browser and an app's token calls reach them:
 * authorize -> the sign-in form -> credentials (and the TOTP step) -> redirect with `code` and
 * `state` -> the token endpoint with PKCE -> userInfo -> a refresh through the AWS SDK and through
 * the token endpoint -> revocation; single sign-on with the hosted session and /logout;
 * client_credentials for a machine client; and the refusals Cognito's endpoints answer.
 * Binds a port: the AWS SDK sends its own requests. The server's clock is injected for TOTP steps.
 */
import { CognitoIdentityProviderClient, GetTokensFromRefreshTokenCommand, InitiateAuthCommand } from "@aws-sdk/client-cognito-identity-provider";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieJar, formOf, pkcePair } from "../helpers/hosted-ui-browser.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, totpCode, userPoolsConfig } from "../helpers/user-pool-clients.js";

const POOL = "local_hosted";
const PUBLIC_URL = "http://hosted.test";
const CALLBACK = "http://localhost:3000/";
const SIGNED_OUT = "http://localhost:3000/signed-out";
const PASSWORD = "Correct-horse-9";
const MACHINE_SECRET = "machine-secret-0123456789abcdef0123456789";
const CONFIDENTIAL_SECRET = "confidential-secret-0123456789abcdef012345";
const API = "https://api.example.com";

let server: TestServer;
let cognito: CognitoIdentityProviderClient;
let clock = Date.now();
const base = () => `${server.url}/auth/${POOL}`;
const call = (operation: string, body: unknown) => callUserPool(fetch, server.url, operation, body);

beforeAll(async () => {
  const pools = [
    {
      id: POOL,
      clients: [
        { id: "web", callbackUrls: [CALLBACK], logoutUrls: [SIGNED_OUT] },
        { id: "confidential", secret: CONFIDENTIAL_SECRET, callbackUrls: [CALLBACK], allowedOAuthScopes: ["openid", "email"] },
        { id: "machine", secret: MACHINE_SECRET, allowedOAuthFlows: ["client_credentials" as const], allowedOAuthScopes: [`${API}/read`, `${API}/write`] },
        { id: "nocode", secret: MACHINE_SECRET, allowedOAuthFlows: ["client_credentials" as const], allowedOAuthScopes: [`${API}/read`], callbackUrls: [CALLBACK] },
      ],
      resourceServers: [{ identifier: API, scopes: ["read", "write"] }],
      hostedUi: { title: "Family <Notes>", primaryColor: "#aa3300", logoUrl: "https://example.com/logo.png" },
    },
  ];
  server = await startTestServer({ now: () => clock, config: { userPools: userPoolsConfig(PUBLIC_URL, pools) } });
  cognito = new CognitoIdentityProviderClient({ region: "local", endpoint: `${server.url}/aws/cognito-idp`, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
  for (const username of ["hana", "mika", "toto"]) {
    await call("SignUp", { ClientId: "web", Username: username, Password: PASSWORD, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] });
    await call("ConfirmSignUp", { ClientId: "web", Username: username, ConfirmationCode: await codeFromLog(server.dataDir, username, "SIGN_UP") });
  }
});
afterAll(async () => {
  cognito?.destroy();
  await server?.close();
});

const authorizeQuery = (extra: Record<string, string> = {}, challenge = pkcePair().challenge) =>
  new URLSearchParams({ client_id: "web", redirect_uri: CALLBACK, response_type: "code", scope: "openid email aws.cognito.signin.user.admin", state: "state-123", code_challenge: challenge, code_challenge_method: "S256", ...extra });

const get = (url: string, jar?: CookieJar) => fetch(url, { redirect: "manual", headers: jar ? { cookie: jar.header() } : {} });
const postForm = (url: string, fields: Record<string, string>, jar?: CookieJar, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", ...(jar ? { cookie: jar.header() } : {}), ...headers }, body: new URLSearchParams(fields) });

/** Walks authorize -> form -> password (-> TOTP); returns the callback URL and the jar. */
async function signInOnPage(username: string, query: URLSearchParams, jar = new CookieJar(), totp?: () => string): Promise<{ callback: URL; jar: CookieJar }> {
  const authorize = await get(`${base()}/oauth2/authorize?${query}`, jar);
  expect(authorize.status).toBe(302);
  const page = await get(new URL(authorize.headers.get("location")!, server.url).toString(), jar);
  jar.take(page);
  expect(page.status).toBe(200);
  const form = formOf(await page.text());
  let answer = await postForm(new URL(form.action, server.url).toString(), { _csrf: form.csrf, username, password: PASSWORD }, jar);
  if (totp !== undefined) {
    expect(answer.status).toBe(200);
    const mfa = formOf(await answer.text());
    expect(mfa.session).not.toBeNull();
    answer = await postForm(new URL(mfa.action, server.url).toString(), { _csrf: mfa.csrf, username, session: mfa.session!, code: totp() }, jar);
  }
  expect(answer.status).toBe(302);
  jar.take(answer);
  return { callback: new URL(answer.headers.get("location")!), jar };
}

async function exchange(code: string, verifier: string, clientId = "web") {
  const response = await postForm(`${base()}/oauth2/token`, { grant_type: "authorization_code", client_id: clientId, code, redirect_uri: CALLBACK, code_verifier: verifier });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe("user-pool hosted UI and OAuth2 endpoints", { timeout: 30_000 }, () => {
  it("signs in on the page, exchanges the code with PKCE for the pool's tokens, reads userInfo, refreshes through the SDK and revokes", async () => {
    const pkce = pkcePair();
    const { callback } = await signInOnPage("hana", authorizeQuery({ nonce: "nonce-1" }, pkce.challenge));
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK);
    expect(callback.searchParams.get("state")).toBe("state-123");
    const tokens = await exchange(callback.searchParams.get("code")!, pkce.verifier);
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
    const jwks = createLocalJWKSet((await (await fetch(`${server.url}/aws/cognito-idp/${POOL}/.well-known/jwks.json`)).json()) as JSONWebKeySet);
    const issuer = `${PUBLIC_URL}/aws/cognito-idp/${POOL}`;
    const { payload: id } = await jwtVerify(tokens.body["id_token"], jwks, { issuer, audience: "web", currentDate: new Date(clock) });
    expect(id).toMatchObject({ token_use: "id", "cognito:username": "hana", email: "hana@example.com", email_verified: true, nonce: "nonce-1" });
    const { payload: access } = await jwtVerify(tokens.body["access_token"], jwks, { issuer, currentDate: new Date(clock) });
    expect(access).toMatchObject({ token_use: "access", client_id: "web", username: "hana", scope: "openid email aws.cognito.signin.user.admin", origin_jti: id["origin_jti"] });

    const info = await fetch(`${base()}/oauth2/userInfo`, { headers: { authorization: `Bearer ${tokens.body["access_token"]}` } });
    expect(await info.json()).toEqual({ sub: id.sub, email: "hana@example.com", email_verified: "true", username: "hana" });

    const refreshed = await cognito.send(new InitiateAuthCommand({ ClientId: "web", AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: tokens.body["refresh_token"] } }));
    expect(decodeJwt(refreshed.AuthenticationResult!.IdToken!)["origin_jti"]).toBe(id["origin_jti"]);
    const next = refreshed.AuthenticationResult!.RefreshToken!;
    const overEndpoint = await postForm(`${base()}/oauth2/token`, { grant_type: "refresh_token", client_id: "web", refresh_token: next });
    const rotated = (await overEndpoint.json()) as Record<string, string>;
    expect(overEndpoint.status).toBe(200);
    expect(Object.keys(rotated).sort()).toEqual(["access_token", "expires_in", "id_token", "refresh_token", "token_type"]);

    expect((await postForm(`${base()}/oauth2/revoke`, { token: rotated["refresh_token"]!, client_id: "web" })).status).toBe(200);
    await expect(cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: "web", RefreshToken: rotated["refresh_token"]! }))).rejects.toMatchObject({ name: expect.stringMatching(/^(NotAuthorizedException|RefreshTokenReuseException)$/) });
    const afterRevoke = await fetch(`${base()}/oauth2/userInfo`, { headers: { authorization: `Bearer ${rotated["access_token"]}` } });
    expect(afterRevoke.status).toBe(401);
    expect(await afterRevoke.json()).toMatchObject({ error: "invalid_token" });
  });

  it("takes a TOTP code on the page from a user who has MFA, and no code without it", async () => {
    const signedIn = await call("InitiateAuth", { ClientId: "web", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "toto", PASSWORD } });
    const accessToken = signedIn.body["AuthenticationResult"]["AccessToken"];
    const secret = (await call("AssociateSoftwareToken", { AccessToken: accessToken })).body["SecretCode"] as string;
    expect((await call("VerifySoftwareToken", { AccessToken: accessToken, UserCode: totpCode(secret, clock) })).body).toEqual({ Status: "SUCCESS" });
    await call("SetUserMFAPreference", { AccessToken: accessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } });
    clock += 30_000;
    const pkce = pkcePair();
    const { callback } = await signInOnPage("toto", authorizeQuery({}, pkce.challenge), new CookieJar(), () => totpCode(secret, clock));
    expect((await exchange(callback.searchParams.get("code")!, pkce.verifier)).status).toBe(200);
  });

  it("signs in again without the form while the hosted session lives, and /logout ends it and goes to a registered URL only", async () => {
    const { jar } = await signInOnPage("mika", authorizeQuery());
    expect(jar.has("syncpool_session")).toBe(true);
    const again = await get(`${base()}/oauth2/authorize?${authorizeQuery()}`, jar);
    expect(new URL(again.headers.get("location")!).searchParams.get("code")).toBeTruthy();

    const refused = await get(`${base()}/logout?client_id=web&logout_uri=${encodeURIComponent("https://evil.example/")}`, jar);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("redirect_mismatch");
    const out = await get(`${base()}/logout?client_id=web&logout_uri=${encodeURIComponent(SIGNED_OUT)}`, jar);
    expect(out.status).toBe(302);
    expect(out.headers.get("location")).toBe(SIGNED_OUT);
    jar.take(out);
    expect(jar.has("syncpool_session")).toBe(false);
    const afterLogout = await get(`${base()}/oauth2/authorize?${authorizeQuery()}`, jar);
    expect(afterLogout.headers.get("location")).toMatch(new RegExp(`^/auth/${POOL}/login\\?`));
    const silent = await get(`${base()}/oauth2/authorize?${authorizeQuery({ prompt: "none" })}`, jar);
    expect(Object.fromEntries(new URL(silent.headers.get("location")!).searchParams)).toMatchObject({ error: "login_required", state: "state-123" });
  });

  it("ends the hosted session when GlobalSignOut revokes the page's sign-in", async () => {
    const pkce = pkcePair();
    const { callback, jar } = await signInOnPage("mika", authorizeQuery({}, pkce.challenge));
    const tokens = await exchange(callback.searchParams.get("code")!, pkce.verifier);
    expect((await call("GlobalSignOut", { AccessToken: tokens.body["access_token"] })).status).toBe(200);
    const again = await get(`${base()}/oauth2/authorize?${authorizeQuery()}`, jar);
    expect(again.headers.get("location")).toMatch(new RegExp(`^/auth/${POOL}/login\\?`));
  });

  it("gives a confidential machine client an access token of its resource-server scopes with client_credentials", async () => {
    const basic = `Basic ${Buffer.from(`machine:${MACHINE_SECRET}`).toString("base64")}`;
    const response = await postForm(`${base()}/oauth2/token`, { grant_type: "client_credentials", scope: `${API}/read` }, undefined, { authorization: basic });
    const body = (await response.json()) as Record<string, any>;
    expect(response.status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(["access_token", "expires_in", "token_type"]);
    expect(decodeJwt(body["access_token"])).toMatchObject({ sub: "machine", client_id: "machine", token_use: "access", scope: `${API}/read`, iss: `${PUBLIC_URL}/aws/cognito-idp/${POOL}` });
    const all = await postForm(`${base()}/oauth2/token`, { grant_type: "client_credentials", client_id: "machine", client_secret: MACHINE_SECRET });
    expect(decodeJwt(((await all.json()) as Record<string, string>)["access_token"]!)["scope"]).toBe(`${API}/read ${API}/write`);
    // A machine token has no user: userInfo refuses it.
    const info = await fetch(`${base()}/oauth2/userInfo`, { headers: { authorization: `Bearer ${body["access_token"]}` } });
    expect(info.status).toBe(401);
  });

  it("lists the hosted UI's endpoints in the issuer's discovery document", async () => {
    const discovery = (await (await fetch(`${server.url}/aws/cognito-idp/${POOL}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      authorization_endpoint: `${PUBLIC_URL}/auth/${POOL}/oauth2/authorize`,
      token_endpoint: `${PUBLIC_URL}/auth/${POOL}/oauth2/token`,
      userinfo_endpoint: `${PUBLIC_URL}/auth/${POOL}/oauth2/userInfo`,
      revocation_endpoint: `${PUBLIC_URL}/auth/${POOL}/oauth2/revoke`,
      code_challenge_methods_supported: ["S256"],
    });
  });

  it("shows the pool's branding and escapes what it echoes", async () => {
    const page = await get(`${base()}/login?${authorizeQuery({ login_hint: 'hana"><b>' })}`);
    const html = await page.text();
    expect(html).toContain('value="hana&#34;&#62;&#60;b&#62;"');
    expect(html).toContain("Family &#60;Notes&#62;");
    expect(html).toContain("background:#aa3300");
    expect(html).toContain('src="https://example.com/logo.png"');
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const jar = new CookieJar();
    jar.take(page);
    const form = formOf(html);
    const refused = await postForm(new URL(form.action, server.url).toString(), { _csrf: form.csrf, username: '<script>alert("x")</script>', password: "wrong" }, jar);
    expect(refused.status).toBe(400);
    const text = await refused.text();
    expect(text).toContain("Incorrect username or password.");
    expect(text).not.toContain("<script>");
    expect(text).toContain("&#60;script&#62;");
  });
});

describe("user-pool OAuth2 refusals", { timeout: 30_000 }, () => {
  it("shows redirect_mismatch for an unregistered redirect_uri and never redirects to it", async () => {
    const response = await get(`${base()}/oauth2/authorize?${authorizeQuery({ redirect_uri: "https://evil.example/" })}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain("redirect_mismatch");
    const unknown = await get(`${base()}/oauth2/authorize?${authorizeQuery({ client_id: "nobody" })}`);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain("invalid_request");
  });

  it.each([
    ["a public client without PKCE", "invalid_request", { code_challenge: "", code_challenge_method: "" }],
    ["the plain PKCE method", "invalid_request", { code_challenge_method: "plain" }],
    ["response_type token", "unsupported_response_type", { response_type: "token" }],
    ["a scope the client may not ask for", "invalid_scope", { scope: "openid https://api.example.com/read" }],
    ["email without openid", "invalid_scope", { scope: "email" }],
    ["another identity provider", "invalid_request", { identity_provider: "Google" }],
  ])("redirects %s back with error=%s and the state", async (_name, code, extra) => {
    const query = authorizeQuery();
    for (const [name, value] of Object.entries(extra)) if (value === "") query.delete(name); else query.set(name, value);
    const response = await get(`${base()}/oauth2/authorize?${query}`);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
    expect(location.searchParams.get("error")).toBe(code);
    expect(location.searchParams.get("state")).toBe("state-123");
  });

  it("redirects unauthorized_client for a client without the code flow", async () => {
    const response = await get(`${base()}/oauth2/authorize?${authorizeQuery({ client_id: "nocode" })}`);
    expect(new URL(response.headers.get("location")!).searchParams.get("error")).toBe("unauthorized_client");
  });

  it("refuses a wrong verifier, a replayed code (revoking its session) and a code of another client with invalid_grant", async () => {
    const pkce = pkcePair();
    const { callback } = await signInOnPage("hana", authorizeQuery({}, pkce.challenge));
    const code = callback.searchParams.get("code")!;
    expect(await exchange(code, pkcePair().verifier)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const tokens = await exchange(code, pkce.verifier);
    expect(tokens.status).toBe(200);
    expect(await exchange(code, pkce.verifier)).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const refresh = await postForm(`${base()}/oauth2/token`, { grant_type: "refresh_token", client_id: "web", refresh_token: tokens.body["refresh_token"] });
    expect(await refresh.json()).toMatchObject({ error: "invalid_grant" });
    const basic = `Basic ${Buffer.from(`confidential:${CONFIDENTIAL_SECRET}`).toString("base64")}`;
    const other = await postForm(`${base()}/oauth2/token`, { grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: pkce.verifier }, undefined, { authorization: basic });
    expect(await other.json()).toMatchObject({ error: "invalid_grant" });
  });

  it.each([
    ["an unknown client", "invalid_client", { grant_type: "client_credentials", client_id: "nobody" }, {}],
    ["a wrong secret", "invalid_client", { grant_type: "client_credentials", client_id: "machine", client_secret: "wrong" }, {}],
    ["a confidential client without its secret", "invalid_client", { grant_type: "client_credentials", client_id: "machine" }, {}],
    ["client_credentials of a public client", "unauthorized_client", { grant_type: "client_credentials", client_id: "web" }, {}],
    ["a user scope in client_credentials", "invalid_scope", { grant_type: "client_credentials", client_id: "machine", client_secret: MACHINE_SECRET, scope: "openid" }, {}],
    ["an unknown grant type", "unsupported_grant_type", { grant_type: "password", client_id: "web" }, {}],
    ["no grant type", "invalid_request", { client_id: "web" }, {}],
    ["a missing code", "invalid_request", { grant_type: "authorization_code", client_id: "web" }, {}],
    ["a forged code", "invalid_grant", { grant_type: "authorization_code", client_id: "web", code: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", redirect_uri: CALLBACK }, {}],
    ["two ways of client authentication", "invalid_request", { grant_type: "client_credentials", client_secret: MACHINE_SECRET }, { authorization: `Basic ${Buffer.from(`machine:${MACHINE_SECRET}`).toString("base64")}` }],
  ])("answers %s at the token endpoint with HTTP 400 and %s", async (_name, code, fields, headers) => {
    const response = await postForm(`${base()}/oauth2/token`, fields as Record<string, string>, undefined, headers);
    expect(response.status).toBe(400);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toMatchObject({ error: code });
  });

  it("refuses a form posted without the page's CSRF cookie and signs no one in", async () => {
    const page = await get(`${base()}/login?${authorizeQuery()}`);
    const form = formOf(await page.text());
    const response = await postForm(new URL(form.action, server.url).toString(), { _csrf: form.csrf, username: "hana", password: PASSWORD });
    expect(response.status).toBe(403);
    expect(response.headers.get("location")).toBeNull();
    expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith("syncpool_session="))).toBe(false);
  });

  it("answers userInfo without a bearer token with 401 invalid_token", async () => {
    const response = await fetch(`${base()}/oauth2/userInfo`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("invalid_token");
  });
});
