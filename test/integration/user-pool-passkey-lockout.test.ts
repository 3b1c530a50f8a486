/**
 * Passkeys obey Cognito's lockout like passwords: failed passkey assertions count as failed
 * sign-ins, five of them lock the user out (passkey and password alike, "Password attempts
 * exceeded"), and a passkey sign-in after the lockout clears the count. A software authenticator
 * (`test/helpers/webauthn-authenticator.ts`) answers the challenges; the server's clock is held so
 * the lockout's end is reached by moving it, not by waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";
import { SoftwareAuthenticator } from "../helpers/webauthn-authenticator.js";
import { FAILURES_BEFORE_LOCKOUT } from "../../server/user-pool/lockout.js";

const POOL = "local_passkeys";
const CLIENT = "web";
const PASSWORD = "Correct-horse-9";
const ORIGIN = "https://app.passkeys.test";
let server: InProcessServer;
let clock = Date.parse("2026-03-01T10:00:00Z");
const call = (operation: string, body: unknown) => callUserPool(server.testFetch, server.url, operation, body);

beforeAll(async () => {
  const pools = [{ id: POOL, clients: [{ id: CLIENT }], signInPolicy: { allowedFirstAuthFactors: ["PASSWORD" as const, "WEB_AUTHN" as const] } }];
  server = await startInProcessServer({ now: () => clock, config: { userPools: userPoolsConfig("https://passkeys.test", pools) } });
});
afterAll(async () => {
  await server?.close();
});

async function signUpWithPasskey(username: string, authenticator: SoftwareAuthenticator): Promise<string> {
  await call("SignUp", { ClientId: CLIENT, Username: username, Password: PASSWORD, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] });
  await call("ConfirmSignUp", { ClientId: CLIENT, Username: username, ConfirmationCode: await codeFromLog(server.dataDir, username, "SIGN_UP") });
  const signedIn = await call("InitiateAuth", { ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD } });
  const accessToken = signedIn.body["AuthenticationResult"]["AccessToken"] as string;
  const started = await call("StartWebAuthnRegistration", { AccessToken: accessToken });
  const completed = await call("CompleteWebAuthnRegistration", { AccessToken: accessToken, Credential: authenticator.create(started.body["CredentialCreationOptions"]) });
  expect(completed.status).toBe(200);
  const user = await server.storage.userPools.getUser(POOL, username);
  return user!.sub;
}

/** One passkey sign-in of `username` answered by `authenticator`: the call's status, `__type` and message. */
async function passkeySignIn(username: string, authenticator: SoftwareAuthenticator) {
  const challenge = await call("InitiateAuth", { ClientId: CLIENT, AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: username, PREFERRED_CHALLENGE: "WEB_AUTHN" } });
  expect(challenge.body["ChallengeName"]).toBe("WEB_AUTHN");
  const options = JSON.parse(challenge.body["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"]);
  const answer = await call("RespondToAuthChallenge", {
    ClientId: CLIENT,
    ChallengeName: "WEB_AUTHN",
    Session: challenge.body["Session"],
    ChallengeResponses: { USERNAME: username, CREDENTIAL: JSON.stringify(authenticator.get(options)) },
  });
  return { status: answer.status, type: answer.type, message: answer.body["message"] as string | undefined, signedIn: answer.body["AuthenticationResult"] !== undefined };
}

describe("passkey failures and the lockout", () => {
  it("counts failed passkey assertions toward the lockout, which then refuses passkey and password, until a later passkey sign-in clears it", async () => {
    const own = new SoftwareAuthenticator(ORIGIN);
    const sub = await signUpWithPasskey("kai", own);
    // A passkey never registered for kai (an attacker's, or another user's) fails the assertion.
    const stranger = new SoftwareAuthenticator(ORIGIN);
    for (let attempt = 1; attempt <= FAILURES_BEFORE_LOCKOUT; attempt++) {
      expect(await passkeySignIn("kai", stranger)).toMatchObject({ status: 400, type: "NotAuthorizedException", message: "Incorrect username or passkey." });
      expect(await server.storage.userPools.getSignInFailures(POOL, sub)).toMatchObject({ failures: attempt });
    }

    expect(await passkeySignIn("kai", own)).toMatchObject({ type: "NotAuthorizedException", message: "Password attempts exceeded", signedIn: false });
    const password = await call("InitiateAuth", { ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "kai", PASSWORD } });
    expect(password).toMatchObject({ type: "NotAuthorizedException", body: { message: "Password attempts exceeded" } });
    // Refused while locked out: not counted.
    expect(await server.storage.userPools.getSignInFailures(POOL, sub)).toMatchObject({ failures: FAILURES_BEFORE_LOCKOUT });

    clock += 1500;
    expect(await passkeySignIn("kai", own)).toMatchObject({ status: 200, signedIn: true });
    expect(await server.storage.userPools.getSignInFailures(POOL, sub)).toBeNull();
  });

  it("counts a replayed counter (a cloned authenticator) as a failed sign-in", async () => {
    const own = new SoftwareAuthenticator(ORIGIN);
    const sub = await signUpWithPasskey("lea", own);
    expect(await passkeySignIn("lea", own)).toMatchObject({ signedIn: true });
    own.counter -= 1;
    expect(await passkeySignIn("lea", own)).toMatchObject({ type: "NotAuthorizedException", message: "Incorrect username or passkey." });
    expect(await server.storage.userPools.getSignInFailures(POOL, sub)).toMatchObject({ failures: 1 });
  });
});
