/**
 * User-pool triggers as signed HTTP endpoints: a receiver on port 0 checks every call's signature
 * (`verifySignature`, as a trigger author would), and the pool's pre sign-up, pre authentication
 * and pre token generation (V2_0) run there. Proves that an answer of only the `response` counts,
 * a 4xx refusal is UserLambdaValidationException with the receiver's message, an endpoint that never
 * answers is tried three times and then UnexpectedLambdaException with no user stored, 5xx answers
 * are retried, V2 claims and scopes reach both tokens (at sign-in, at refresh and after a new-password
 * challenge, each with its trigger source; a V3_0 trigger on client_credentials tokens) while restricted
 * claims stay, and the outbound guard refuses a private address unless the operator allows it.
 * Binds ports: the receiver is a real HTTP server, and the AWS SDK sends its own requests.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  GetTokensFromRefreshTokenCommand,
  GetUserCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../server/logger.js";
import { createPostSigned } from "../../server/stream/post-signed.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "../../server/stream/signature.js";
import { createTriggerCall } from "../../server/user-pool/triggers/trigger-call.js";
import { UserPoolError } from "../../server/user-pool/user-pool-errors.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { CookieJar, formOf, pkcePair } from "../helpers/hosted-ui-browser.js";
import { codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";

const POOL = "local_hooks";
const CLIENT = "endpoints";
const SECRET = "trigger-endpoint-secret-0123456789";
const PASSWORD = "Correct-horse-9";
const MACHINES = "local_machines";
const MACHINE_SECRET = "machine-client-secret-0123456789abcdef";
const API = "https://api.example.com";
const CALLBACK = "http://localhost:3000/";

/** Every call the receiver got: its path, whether the signature checked out, and the event. */
const calls: Array<{ path: string; verified: boolean; event: Record<string, any> }> = [];
const held: ServerResponse[] = [];
let receiver: Server;
let hooks: string;
let server: TestServer;
let cognito: CognitoIdentityProviderClient;

function answer(path: string, event: Record<string, any>, response: ServerResponse): void {
  const json = (status: number, body: unknown): void => void response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  const name = String(event["userName"]);
  if (path === "/pre-sign-up") {
    if (name.startsWith("slow-")) return void held.push(response); // never answers
    if (name.startsWith("refused-")) return json(400, { errorType: "Error", errorMessage: "Invites only" });
    return json(200, { autoConfirmUser: true, autoVerifyEmail: true }); // only the response
  }
  if (path === "/client-credentials") {
    if (name === "machine_denied" || (name === "hostile" && event["triggerSource"] === "TokenGeneration_HostedAuth")) return json(400, { errorMessage: "Not this client" });
    event["response"] = { claimsAndScopeOverrideDetails: { accessTokenGeneration: { claimsToAddOrOverride: { tenant_id: "acme-machines" }, scopesToSuppress: [`${API}/write`] } } };
    return json(200, event);
  }
  if (path === "/pre-authentication") {
    const tries = calls.filter((call) => call.path === path && call.event["userName"] === name).length;
    if (name.startsWith("flaky-") && tries <= 2) return json(503, { message: "warming up" });
    return json(200, event);
  }
  event["response"] = {
    claimsAndScopeOverrideDetails: {
      idTokenGeneration: { claimsToAddOrOverride: { tenant: { id: "acme", tier: 2 } } },
      accessTokenGeneration: { claimsToAddOrOverride: { tenant_id: "acme", client_id: "someone-else" }, claimsToSuppress: ["auth_time"], scopesToAdd: ["notes/read"] },
    },
  };
  return json(200, event);
}

beforeAll(async () => {
  receiver = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const verified = verifySignature({ secret: SECRET, body, timestamp: request.headers[TIMESTAMP_HEADER] as string, signature: request.headers[SIGNATURE_HEADER] as string });
      const event = JSON.parse(body) as Record<string, any>;
      calls.push({ path: request.url!, verified, event });
      if (!verified) return void response.writeHead(401).end();
      answer(request.url!, event, response);
    });
  });
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
  hooks = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const pool = {
    id: POOL,
    clients: [{ id: CLIENT, refreshTokenRotation: true }],
    identityPool: null,
    triggers: {
      preSignUp: { url: `${hooks}/pre-sign-up`, secret: SECRET, timeoutMs: 300 },
      preAuthentication: { url: `${hooks}/pre-authentication`, secret: SECRET },
      preTokenGeneration: { url: `${hooks}/pre-token-generation`, secret: SECRET, version: "V2_0" as const },
    },
  };
  const machineClient = (id: string) => ({ id, secret: MACHINE_SECRET, allowedOAuthFlows: ["client_credentials" as const], allowedOAuthScopes: [`${API}/read`, `${API}/write`] });
  const machines = {
    id: MACHINES,
    clients: [machineClient("machine"), machineClient("machine_denied"), { id: "web", callbackUrls: [CALLBACK] }],
    identityPool: null,
    resourceServers: [{ identifier: API, scopes: ["read", "write"] }],
    triggers: { preTokenGeneration: { url: `${hooks}/client-credentials`, secret: SECRET, version: "V3_0" as const } },
  };
  server = await startTestServer({ config: { userPools: userPoolsConfig("http://user-pool.test", [pool, machines]), outbound: { allowPrivateAddresses: true } } });
  cognito = new CognitoIdentityProviderClient({ region: "local", endpoint: `${server.url}/aws/cognito-idp`, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
});
afterAll(async () => {
  cognito?.destroy();
  await server?.close();
  for (const response of held) response.destroy();
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

const signUp = (username: string) =>
  cognito.send(new SignUpCommand({ ClientId: CLIENT, Username: username, Password: PASSWORD, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] }));
const passwordSignIn = (username: string) =>
  cognito.send(new InitiateAuthCommand({ ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD: PASSWORD } }));
const refusal = (work: Promise<unknown>) => work.then(() => ({ name: "none", message: "" }), (error: Error) => ({ name: error.name, message: error.message }));
const callsOf = (path: string, userName: string) => calls.filter((call) => call.path === path && call.event["userName"] === userName);

describe("user-pool triggers as signed endpoints", { timeout: 30_000 }, () => {
  it("confirms a sign-up from an endpoint that answers only the response, and signs every call", async () => {
    expect(await signUp("hana")).toMatchObject({ UserConfirmed: true });
    const [call] = callsOf("/pre-sign-up", "hana");
    expect(call).toMatchObject({ verified: true, event: { version: "1", triggerSource: "PreSignUp_SignUp", userPoolId: POOL, callerContext: { clientId: CLIENT } } });
    expect(calls.every((each) => each.verified)).toBe(true);
  });

  it("refuses a sign-up the endpoint answers 4xx with its message as UserLambdaValidationException", async () => {
    expect(await refusal(signUp("refused-rob"))).toEqual({ name: "UserLambdaValidationException", message: "PreSignUp failed with error Invites only." });
    expect(callsOf("/pre-sign-up", "refused-rob")).toHaveLength(1);
  });

  it("tries an endpoint that never answers three times, then answers UnexpectedLambdaException and stores no user", async () => {
    expect(await refusal(signUp("slow-sam"))).toEqual({ name: "UnexpectedLambdaException", message: "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function." });
    expect(callsOf("/pre-sign-up", "slow-sam")).toHaveLength(3);
    expect(await server.storage.userPools.getUser(POOL, "slow-sam")).toBeNull();
  });

  it("retries an endpoint that answers 5xx, and the sign-in goes on once it answers", async () => {
    await signUp("flaky-fay");
    expect((await passwordSignIn("flaky-fay")).AuthenticationResult?.AccessToken).toEqual(expect.any(String));
    expect(callsOf("/pre-authentication", "flaky-fay")).toHaveLength(3);
  });

  it("puts a V2 endpoint's claims and scopes in both tokens at sign-in and at refresh, keeping the claims no trigger may change", async () => {
    await signUp("ivan");
    const { AuthenticationResult: tokens } = await passwordSignIn("ivan");
    expect(decodeJwt(tokens!.IdToken!)).toMatchObject({ tenant: { id: "acme", tier: 2 }, "cognito:username": "ivan", token_use: "id" });
    const access = decodeJwt(tokens!.AccessToken!);
    expect(access).toMatchObject({ tenant_id: "acme", client_id: CLIENT, scope: "aws.cognito.signin.user.admin notes/read", auth_time: expect.any(Number) });
    expect((await cognito.send(new GetUserCommand({ AccessToken: tokens!.AccessToken! }))).Username).toBe("ivan");

    const refreshed = await cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: CLIENT, RefreshToken: tokens!.RefreshToken! }));
    expect(decodeJwt(refreshed.AuthenticationResult!.AccessToken!)).toMatchObject({ tenant_id: "acme", scope: "aws.cognito.signin.user.admin notes/read" });
    expect(callsOf("/pre-token-generation", "ivan").map((call) => [call.event["version"], call.event["triggerSource"], call.event["request"]["scopes"]])).toEqual([
      ["2", "TokenGeneration_Authentication", ["aws.cognito.signin.user.admin"]],
      ["2", "TokenGeneration_RefreshTokens", ["aws.cognito.signin.user.admin"]],
    ]);
  });

  it("names the new-password challenge as the tokens' source when a user required to change the password signs in", async () => {
    const { UserSub: sub } = await signUp("nina");
    // As an administrator's new user is: the first sign-in must set a password.
    await server.storage.userPools.updateUser(POOL, sub!, { status: "FORCE_CHANGE_PASSWORD", updatedAt: Date.now() });
    const challenge = await passwordSignIn("nina");
    expect(challenge.ChallengeName).toBe("NEW_PASSWORD_REQUIRED");
    const done = await cognito.send(
      new RespondToAuthChallengeCommand({ ClientId: CLIENT, ChallengeName: "NEW_PASSWORD_REQUIRED", Session: challenge.Session!, ChallengeResponses: { USERNAME: "nina", NEW_PASSWORD: "Second-horse-8" } }),
    );
    expect(decodeJwt(done.AuthenticationResult!.AccessToken!)).toMatchObject({ tenant_id: "acme" });
    expect(callsOf("/pre-token-generation", "nina").map((call) => call.event["triggerSource"])).toEqual(["TokenGeneration_NewPasswordChallenge"]);
  });

  it("shapes a client_credentials access token with a V3_0 trigger, and answers invalid_request when it refuses", async () => {
    const token = (clientId: string) =>
      fetch(`${server.url}/auth/${MACHINES}/oauth2/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`${clientId}:${MACHINE_SECRET}`).toString("base64")}` },
        body: new URLSearchParams({ grant_type: "client_credentials" }),
      });
    const granted = await token("machine");
    expect(granted.status).toBe(200);
    const body = (await granted.json()) as { access_token: string };
    expect(decodeJwt(body.access_token)).toMatchObject({ tenant_id: "acme-machines", scope: `${API}/read`, client_id: "machine", sub: "machine" });
    expect(callsOf("/client-credentials", "machine")[0]).toMatchObject({ event: { version: "3", triggerSource: "TokenGeneration_ClientCredentials", request: { scopes: [`${API}/read`, `${API}/write`], userAttributes: {} } } });
    const denied = await token("machine_denied");
    expect(denied.status).toBe(400);
    expect(await denied.json()).toEqual({ error: "invalid_request", error_description: "UserLambdaValidationException: PreTokenGeneration failed with error Not this client." });
  });

  it("answers the hosted UI's code exchange invalid_request, not a server error, when pre token generation refuses", async () => {
    const machines = `${server.url}/auth/${MACHINES}`;
    await cognito.send(new SignUpCommand({ ClientId: "web", Username: "hostile", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "hostile@example.com" }] }));
    await cognito.send(new ConfirmSignUpCommand({ ClientId: "web", Username: "hostile", ConfirmationCode: (await codeFromLog(server.dataDir, "hostile", "SIGN_UP"))! }));
    const pkce = pkcePair();
    const jar = new CookieJar();
    const query = new URLSearchParams({ client_id: "web", redirect_uri: CALLBACK, response_type: "code", scope: "openid", state: "s", code_challenge: pkce.challenge, code_challenge_method: "S256" });
    const authorize = await fetch(`${machines}/oauth2/authorize?${query}`, { redirect: "manual" });
    const page = await fetch(new URL(authorize.headers.get("location")!, server.url), { redirect: "manual", headers: { cookie: jar.header() } });
    jar.take(page);
    const form = formOf(await page.text());
    const fields = new URLSearchParams({ _csrf: form.csrf, username: "hostile", password: PASSWORD });
    const signedIn = await fetch(new URL(form.action, server.url), { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.header() }, body: fields });
    expect(signedIn.status).toBe(302);
    const code = new URL(signedIn.headers.get("location")!).searchParams.get("code")!;
    const exchanged = await fetch(`${machines}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", client_id: "web", code, redirect_uri: CALLBACK, code_verifier: pkce.verifier }),
    });
    expect(exchanged.status).toBe(400);
    expect(await exchanged.json()).toEqual({ error: "invalid_request", error_description: "UserLambdaValidationException: PreTokenGeneration failed with error Not this client." });
    expect(callsOf("/client-credentials", "hostile").map((call) => call.event["triggerSource"])).toContain("TokenGeneration_HostedAuth");
  });

  it("refuses to call an endpoint on a private address unless the operator allows private addresses", async () => {
    const call = createTriggerCall("preSignUp", { url: `${hooks}/pre-sign-up`, secret: SECRET, timeoutMs: 1000, version: "V1_0" }, { baseDir: ".", post: createPostSigned({ allowPrivateAddresses: false }), now: Date.now, logger: silentLogger() });
    const before = calls.length;
    const refused = await call({ userName: "guarded" }).then(() => null, (error: UserPoolError) => error);
    expect(refused).toBeInstanceOf(UserPoolError);
    expect(refused!.type).toBe("UnexpectedLambdaException");
    expect(refused!.message).toContain("which is not a public address");
    expect(calls.length).toBe(before);
  });
});
