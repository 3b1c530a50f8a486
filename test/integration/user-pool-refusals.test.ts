/**
 * Refusals of the user-pool API, one row each, with Cognito's exception name in both the body's
 * `__type` and `x-amzn-errortype`, HTTP 400, and nothing changed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IN_PROCESS_URL, startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";

const PASSWORD = "Correct-horse-9";
let server: InProcessServer;
const call = (operation: string, body: unknown) => callUserPool((path, init) => server.fetch(path, init), "", operation, body);

beforeAll(async () => {
  server = await startInProcessServer({ config: { userPools: userPoolsConfig(IN_PROCESS_URL) } });
  await call("SignUp", { ClientId: "default", Username: "kept", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "kept@example.com" }] });
  await call("ConfirmSignUp", { ClientId: "default", Username: "kept", ConfirmationCode: await codeFromLog(server.dataDir, "kept", "SIGN_UP") });
  await call("SignUp", { ClientId: "default", Username: "waiting", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "waiting@example.com" }] });
});
afterAll(async () => {
  await server?.close();
});

const rows: [string, string, Record<string, unknown>, string][] = [
  ["a wrong password", "InitiateAuth", { ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "kept", PASSWORD: "Wrong-horse-9" } }, "NotAuthorizedException"],
  ["an unknown user, as a wrong password", "InitiateAuth", { ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "nobody", PASSWORD } }, "NotAuthorizedException"],
  ["an unconfirmed user", "InitiateAuth", { ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "waiting", PASSWORD } }, "UserNotConfirmedException"],
  ["an unknown client", "InitiateAuth", { ClientId: "nope", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "kept", PASSWORD } }, "ResourceNotFoundException"],
  ["an unknown refresh token", "GetTokensFromRefreshToken", { ClientId: "default", RefreshToken: "not-a-token" }, "NotAuthorizedException"],
  ["a taken username", "SignUp", { ClientId: "default", Username: "kept", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "x@example.com" }] }, "UsernameExistsException"],
  ["a password outside the policy", "SignUp", { ClientId: "default", Username: "weak", Password: "short", UserAttributes: [{ Name: "email", Value: "w@example.com" }] }, "InvalidPasswordException"],
  ["a missing username", "SignUp", { ClientId: "default", Password: PASSWORD }, "InvalidParameterException"],
  ["a wrong confirmation code", "ConfirmSignUp", { ClientId: "default", Username: "waiting", ConfirmationCode: "000000x" }, "CodeMismatchException"],
  ["a reset code never sent", "ConfirmForgotPassword", { ClientId: "default", Username: "kept", ConfirmationCode: "123456", Password: "Other-horse-8" }, "CodeMismatchException"],
  ["a forged access token", "GetUser", { AccessToken: "eyJhbGciOiJSUzI1NiJ9.e30.c2ln" }, "NotAuthorizedException"],
  ["an unsupported flow", "InitiateAuth", { ClientId: "default", AuthFlow: "CUSTOM_AUTH", AuthParameters: { USERNAME: "kept" } }, "InvalidParameterException"],
];

describe("user-pool refusals", () => {
  it.each(rows)("refuses %s (%s) with %s", async (_why, operation, body, type) => {
    const answer = await call(operation, body);
    expect([answer.status, answer.type, answer.header]).toEqual([400, type, type]);
    expect(typeof answer.body["message"]).toBe("string");
  });

  it("answers an unknown operation with UnknownOperationException", async () => {
    const answer = await call("AdminCreateUser", { UserPoolId: "local_default", Username: "x" });
    expect([answer.status, answer.type]).toEqual([400, "UnknownOperationException"]);
  });

  it("leaves the refused users as they were: the right password still signs in", async () => {
    const answer = await call("InitiateAuth", { ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "kept", PASSWORD } });
    expect(answer.status).toBe(200);
  });
});
