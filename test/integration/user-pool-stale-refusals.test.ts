/**
 * What is stale, tampered or reused is refused with Cognito's exact `__type` and message: a code
 * (sign-up, password reset, attribute verification) past its lifetime is
 * `ExpiredCodeException: Invalid code provided, please request a code again.`, and an SRP
 * PASSWORD_VERIFIER answer whose TIMESTAMP is more than five minutes off, whose challenge has
 * expired, whose SECRET_BLOCK was altered or belongs to another challenge is
 * `NotAuthorizedException: Incorrect username or password.`, as a wrong password is. A refresh token
 * never issued, expired or replaced (revoking its family) is refused as Cognito refuses it. The server's
 * clock is `Date.now()` plus `skewMs`, which a test moves. Runs on SQLite and PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";
import { srpChallenge } from "../helpers/srp-answer.js";

const CLIENT = "default";
const PASSWORD = "Correct-horse-9";
const EXPIRED_CODE = { status: 400, type: "ExpiredCodeException", header: "ExpiredCodeException", body: { message: "Invalid code provided, please request a code again." } };
const WRONG_PASSWORD = { status: 400, type: "NotAuthorizedException", header: "NotAuthorizedException", body: { message: "Incorrect username or password." } };
const HOUR_MS = 3_600_000;
let server: TestServer;
/** Added to `Date.now()` for the server's clock. */
let skewMs = 0;

beforeAll(async () => {
  server = await startTestServer({ now: () => Date.now() + skewMs, config: { userPools: userPoolsConfig("http://user-pool.test") } });
});
afterEach(() => {
  skewMs = 0;
});
afterAll(async () => {
  await server?.close();
});

const call = (operation: string, body: unknown) => callUserPool(fetch, server.url, operation, body);
const signUp = (username: string) => call("SignUp", { ClientId: CLIENT, Username: username, Password: PASSWORD, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] });
const confirm = async (username: string) => call("ConfirmSignUp", { ClientId: CLIENT, Username: username, ConfirmationCode: await codeFromLog(server.dataDir, username, "SIGN_UP") });
const accessToken = async (username: string) =>
  (await call("InitiateAuth", { ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD } })).body["AuthenticationResult"]["AccessToken"] as string;
const srpAnswer = (username: string) => srpChallenge({ send: fetch, baseUrl: server.url, clientId: CLIENT, poolName: "default" }, username, PASSWORD);

// argon2id hashing and SRP's big numbers on a busy machine: more than vitest's 5 s.
describe("stale and reused answers refused with Cognito's errors", { timeout: 60_000 }, () => {
  it("refuses a sign-up code after its 24 hours with ExpiredCodeException, leaving the user unconfirmed", async () => {
    await signUp("late-confirmer");
    skewMs = 24 * HOUR_MS + 60_000;
    expect(await confirm("late-confirmer")).toMatchObject(EXPIRED_CODE);
    const signIn = await call("InitiateAuth", { ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "late-confirmer", PASSWORD } });
    expect(signIn).toMatchObject({ status: 400, type: "UserNotConfirmedException" });
  });

  it("refuses a password-reset code after its hour and an attribute-verification code after its 24 hours with ExpiredCodeException", async () => {
    await signUp("late-resetter");
    await confirm("late-resetter");
    expect((await call("ForgotPassword", { ClientId: CLIENT, Username: "late-resetter" })).status).toBe(200);
    const resetCode = await codeFromLog(server.dataDir, "late-resetter", "FORGOT_PASSWORD");
    skewMs = HOUR_MS + 60_000;
    expect(await call("ConfirmForgotPassword", { ClientId: CLIENT, Username: "late-resetter", ConfirmationCode: resetCode, Password: "Another-horse-9" })).toMatchObject(EXPIRED_CODE);
    skewMs = 0;

    const token = await accessToken("late-resetter");
    expect((await call("UpdateUserAttributes", { AccessToken: token, UserAttributes: [{ Name: "email", Value: "moved@example.com" }] })).status).toBe(200);
    const verifyCode = await codeFromLog(server.dataDir, "late-resetter", "VERIFY:email");
    skewMs = 24 * HOUR_MS + 60_000;
    // The old password still signs in (the reset was refused), with an access token of the moved clock.
    const later = await accessToken("late-resetter");
    expect(await call("VerifyUserAttribute", { AccessToken: later, AttributeName: "email", Code: verifyCode })).toMatchObject(EXPIRED_CODE);
  });

  it("refuses a refresh token never issued, one past its 30 days, and a replaced one (revoking its whole family) with Cognito's errors", async () => {
    await signUp("late-refresher");
    await confirm("late-refresher");
    const refresh = (token: unknown) => call("GetTokensFromRefreshToken", { ClientId: CLIENT, RefreshToken: token });
    const signIn = async () =>
      (await call("InitiateAuth", { ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "late-refresher", PASSWORD } })).body["AuthenticationResult"] as Record<string, string>;
    expect(await refresh("not-a-token-this-pool-issued")).toMatchObject({ status: 400, type: "NotAuthorizedException", header: "NotAuthorizedException", body: { message: "Invalid Refresh Token" } });

    const aging = await signIn();
    skewMs = 30 * 24 * HOUR_MS + 60_000;
    expect(await refresh(aging["RefreshToken"])).toMatchObject({ status: 400, type: "NotAuthorizedException", header: "NotAuthorizedException", body: { message: "Refresh Token has expired" } });
    skewMs = 0;

    const first = await signIn();
    const second = (await refresh(first["RefreshToken"])).body["AuthenticationResult"] as Record<string, string>;
    expect(await refresh(first["RefreshToken"])).toMatchObject({ status: 400, type: "RefreshTokenReuseException", header: "RefreshTokenReuseException" });
    expect(await refresh(second["RefreshToken"])).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: "Refresh Token has been revoked" } });
    expect(await call("GetUser", { AccessToken: second["AccessToken"] })).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: "Access Token has been revoked" } });
  });

  it("refuses SRP answers with a TIMESTAMP over five minutes off, after their challenge expired, or with an altered or borrowed SECRET_BLOCK, as a wrong password", async () => {
    await signUp("srp-stale");
    await confirm("srp-stale");
    expect(await call("RespondToAuthChallenge", (await srpAnswer("srp-stale"))(new Date(Date.now() - 6 * 60_000)))).toMatchObject(WRONG_PASSWORD);
    expect(await call("RespondToAuthChallenge", (await srpAnswer("srp-stale"))(new Date(Date.now() + 6 * 60_000)))).toMatchObject(WRONG_PASSWORD);

    const expiring = await srpAnswer("srp-stale");
    skewMs = 4 * 60_000;
    expect(await call("RespondToAuthChallenge", expiring(new Date(Date.now() + skewMs)))).toMatchObject(WRONG_PASSWORD);
    skewMs = 0;

    const answer = (await srpAnswer("srp-stale"))(new Date());
    const block = answer.ChallengeResponses.PASSWORD_CLAIM_SECRET_BLOCK!;
    const altered = `${block.slice(0, 10)}${block[10] === "A" ? "B" : "A"}${block.slice(11)}`;
    expect(await call("RespondToAuthChallenge", { ...answer, ChallengeResponses: { ...answer.ChallengeResponses, PASSWORD_CLAIM_SECRET_BLOCK: altered } })).toMatchObject(WRONG_PASSWORD);
    const other = (await srpAnswer("srp-stale"))(new Date());
    const borrowed = { ...answer, ChallengeResponses: { ...answer.ChallengeResponses, PASSWORD_CLAIM_SECRET_BLOCK: other.ChallengeResponses.PASSWORD_CLAIM_SECRET_BLOCK } };
    expect(await call("RespondToAuthChallenge", borrowed)).toMatchObject(WRONG_PASSWORD);

    // None of these spent the untouched answer: it still signs in, once.
    expect((await call("RespondToAuthChallenge", answer)).body["AuthenticationResult"]).toMatchObject({ TokenType: "Bearer" });
    expect(await call("RespondToAuthChallenge", answer)).toMatchObject(WRONG_PASSWORD);
  });
});
