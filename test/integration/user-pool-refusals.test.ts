/**
 * Refusals of the user-pool API, one row each, with Cognito's exception name in both the body's
 * `__type` and `x-amzn-errortype`, HTTP 400, and nothing changed. The rows that need a user in
 * some state (TOTP set up, locked out, a password history) build it first; the server's clock is
 * injected, so time steps, lockouts and session expiry are moved by the test, never waited for.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAILURES_BEFORE_LOCKOUT, lockedUntil, MAX_LOCKOUT_MS } from "../../server/user-pool/lockout.js";
import { IN_PROCESS_URL, startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, totpCode, userPoolsConfig } from "../helpers/user-pool-clients.js";

const PASSWORD = "Correct-horse-9";
let server: InProcessServer;
let clock = Date.parse("2026-12-06T00:00:00.000Z");
const call = (operation: string, body: unknown) => callUserPool((path, init) => server.fetch(path, init), "", operation, body);
type Answer = Awaited<ReturnType<typeof call>>;

beforeAll(async () => {
  server = await startInProcessServer({ now: () => clock, config: { userPools: userPoolsConfig(IN_PROCESS_URL, [{ id: "local_default", passwordPolicy: { passwordHistorySize: 3 } }]) } });
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

// Slow by nature: every sign-up, sign-in and password change hashes with argon2id (12 MiB, three
// passes), several per test, which takes seconds when the two cores are busy.
describe("user-pool refusals", { timeout: 30_000 }, () => {
  it.each(rows)("refuses %s (%s) with %s", async (_why, operation, body, type) => {
    const answer = await call(operation, body);
    expect([answer.status, answer.type, answer.header]).toEqual([400, type, type]);
    expect(typeof answer.body["message"]).toBe("string");
  });

  it("answers an unknown operation with UnknownOperationException", async () => {
    const answer = await call("CreateUserPool", { PoolName: "x" });
    expect([answer.status, answer.type]).toEqual([400, "UnknownOperationException"]);
  });

  it.each(statefulRows().map(([why, operation, refusal, type]) => [why, operation, type, refusal] as const))("refuses %s (%s) with %s", async (_why, _operation, type, refusal) => {
    const answer = await refusal();
    expect([answer.status, answer.type, answer.header]).toEqual([400, type, type]);
  });

  it("leaves the refused users as they were: the right password still signs in", async () => {
    const answer = await call("InitiateAuth", { ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "kept", PASSWORD } });
    expect(answer.status).toBe(200);
  });
});

/** A confirmed user of the default pool. */
async function signUpConfirmed(username: string, password = PASSWORD): Promise<void> {
  await call("SignUp", { ClientId: "default", Username: username, Password: password, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] });
  await call("ConfirmSignUp", { ClientId: "default", Username: username, ConfirmationCode: await codeFromLog(server.dataDir, username, "SIGN_UP") });
}

const passwordSignIn = (username: string, password = PASSWORD) =>
  call("InitiateAuth", { ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD: password } });

const accessTokenOf = async (username: string, password = PASSWORD) => (await passwordSignIn(username, password)).body["AuthenticationResult"]["AccessToken"] as string;

/** A confirmed user whose TOTP is set up, verified at the clock's step, and preferred; returns the secret. */
async function userWithTotp(username: string): Promise<string> {
  await signUpConfirmed(username);
  const AccessToken = await accessTokenOf(username);
  const secret = (await call("AssociateSoftwareToken", { AccessToken })).body["SecretCode"] as string;
  await call("VerifySoftwareToken", { AccessToken, UserCode: totpCode(secret, clock) });
  await call("SetUserMFAPreference", { AccessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } });
  clock += 30_000; // the step that verified the set-up is used up
  return secret;
}

/** The Session of a SOFTWARE_TOKEN_MFA challenge, after the right password. */
async function mfaSession(username: string): Promise<string> {
  const answer = await passwordSignIn(username);
  expect(answer.body["ChallengeName"]).toBe("SOFTWARE_TOKEN_MFA");
  return answer.body["Session"] as string;
}

const answerMfa = (username: string, Session: string, code: string) =>
  call("RespondToAuthChallenge", { ClientId: "default", ChallengeName: "SOFTWARE_TOKEN_MFA", Session, ChallengeResponses: { USERNAME: username, SOFTWARE_TOKEN_MFA_CODE: code } });

/** A six-digit code that is not `code`. */
const otherThan = (code: string) => String((Number(code) + 500_000) % 1_000_000).padStart(6, "0");

function statefulRows(): [string, string, () => Promise<Answer>, string][] {
  return [
    ["a wrong TOTP code", "RespondToAuthChallenge", async () => {
      const secret = await userWithTotp("totp-wrong");
      return answerMfa("totp-wrong", await mfaSession("totp-wrong"), otherThan(totpCode(secret, clock)));
    }, "CodeMismatchException"],
    ["a replayed TOTP code", "RespondToAuthChallenge", async () => {
      const secret = await userWithTotp("totp-replay");
      const code = totpCode(secret, clock);
      expect((await answerMfa("totp-replay", await mfaSession("totp-replay"), code)).status).toBe(200);
      return answerMfa("totp-replay", await mfaSession("totp-replay"), code);
    }, "CodeMismatchException"],
    ["a right TOTP code after five wrong ones in one session", "RespondToAuthChallenge", async () => {
      const secret = await userWithTotp("totp-guess");
      const session = await mfaSession("totp-guess");
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect((await answerMfa("totp-guess", session, otherThan(totpCode(secret, clock)))).type).toBe("CodeMismatchException");
      }
      return answerMfa("totp-guess", session, totpCode(secret, clock));
    }, "NotAuthorizedException"],
    ["a TOTP session past its three minutes", "RespondToAuthChallenge", async () => {
      const secret = await userWithTotp("totp-late");
      const session = await mfaSession("totp-late");
      clock += 3 * 60_000 + 1;
      return answerMfa("totp-late", session, totpCode(secret, clock));
    }, "NotAuthorizedException"],
    ["a wrong code verifying a new software token", "VerifySoftwareToken", async () => {
      await signUpConfirmed("totp-setup");
      const AccessToken = await accessTokenOf("totp-setup");
      const secret = (await call("AssociateSoftwareToken", { AccessToken })).body["SecretCode"] as string;
      return call("VerifySoftwareToken", { AccessToken, UserCode: otherThan(totpCode(secret, clock)) });
    }, "EnableSoftwareTokenMFAException"],
    ["enabling TOTP before a code verified it", "SetUserMFAPreference", async () => {
      await signUpConfirmed("totp-early");
      const AccessToken = await accessTokenOf("totp-early");
      await call("AssociateSoftwareToken", { AccessToken });
      return call("SetUserMFAPreference", { AccessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } });
    }, "InvalidParameterException"],
    ["the right password of a locked-out user", "InitiateAuth", async () => {
      await signUpConfirmed("locked");
      for (let attempt = 0; attempt < FAILURES_BEFORE_LOCKOUT; attempt += 1) await passwordSignIn("locked", "Wrong-horse-9");
      const answer = await passwordSignIn("locked");
      expect(answer.body["message"]).toBe("Password attempts exceeded");
      return answer;
    }, "NotAuthorizedException"],
    ["the current password as the new one", "ChangePassword", async () => {
      await signUpConfirmed("history-same");
      return call("ChangePassword", { AccessToken: await accessTokenOf("history-same"), PreviousPassword: PASSWORD, ProposedPassword: PASSWORD });
    }, "PasswordHistoryPolicyViolationException"],
    ["a reset to the password before the current one", "ConfirmForgotPassword", async () => {
      await signUpConfirmed("history-reset");
      await call("ChangePassword", { AccessToken: await accessTokenOf("history-reset"), PreviousPassword: PASSWORD, ProposedPassword: "Second-horse-8" });
      await call("ForgotPassword", { ClientId: "default", Username: "history-reset" });
      const code = await codeFromLog(server.dataDir, "history-reset", "FORGOT_PASSWORD");
      return call("ConfirmForgotPassword", { ClientId: "default", Username: "history-reset", ConfirmationCode: code, Password: PASSWORD });
    }, "PasswordHistoryPolicyViolationException"],
  ];
}

describe("user-pool lockout and password history", { timeout: 30_000 }, () => {
  it("locks a user out for one second after five failed sign-ins, doubling with each further failure, and a sign-in clears the count", async () => {
    await signUpConfirmed("schedule");
    for (let attempt = 0; attempt < FAILURES_BEFORE_LOCKOUT; attempt += 1) expect((await passwordSignIn("schedule", "Wrong-horse-9")).body["message"]).toBe("Incorrect username or password.");
    clock += 999;
    expect((await passwordSignIn("schedule")).body["message"]).toBe("Password attempts exceeded");
    clock += 1;
    // A sixth failure locks for two seconds.
    expect((await passwordSignIn("schedule", "Wrong-horse-9")).body["message"]).toBe("Incorrect username or password.");
    clock += 1999;
    expect((await passwordSignIn("schedule")).body["message"]).toBe("Password attempts exceeded");
    clock += 1;
    expect((await passwordSignIn("schedule")).status).toBe(200);
    // The count started again: four failures do not lock.
    for (let attempt = 0; attempt < FAILURES_BEFORE_LOCKOUT - 1; attempt += 1) await passwordSignIn("schedule", "Wrong-horse-9");
    expect((await passwordSignIn("schedule")).status).toBe(200);
  });

  it("caps a lockout at fifteen minutes", () => {
    expect(lockedUntil({ failures: 14, lastFailedAt: 0 })).toBe(512_000);
    expect(lockedUntil({ failures: 15, lastFailedAt: 0 })).toBe(MAX_LOCKOUT_MS);
    expect(lockedUntil({ failures: 400, lastFailedAt: 0 })).toBe(MAX_LOCKOUT_MS);
  });

  it("refuses the last three passwords with a history of three and accepts the one before them", async () => {
    await signUpConfirmed("history-window");
    const passwords = [PASSWORD, "Second-horse-8", "Third-horse-7", "Fourth-horse-6"];
    for (let index = 1; index < passwords.length; index += 1) {
      const answer = await call("ChangePassword", { AccessToken: await accessTokenOf("history-window", passwords[index - 1]!), PreviousPassword: passwords[index - 1], ProposedPassword: passwords[index] });
      expect(answer.status).toBe(200);
    }
    const AccessToken = await accessTokenOf("history-window", passwords[3]!);
    expect((await call("ChangePassword", { AccessToken, PreviousPassword: passwords[3], ProposedPassword: passwords[1] })).type).toBe("PasswordHistoryPolicyViolationException");
    expect((await call("ChangePassword", { AccessToken, PreviousPassword: passwords[3], ProposedPassword: passwords[0] })).status).toBe(200);
  });
});
