/**
 * USER_SRP_AUTH with a second, independent SRP client: `amazon-cognito-identity-js`'s
 * `authenticateUser` (its own big-number SRP code, the `endpoint` option its docs give for local
 * servers). A right password signs in, a wrong one and an unknown user are refused alike, and a
 * PASSWORD_VERIFIER answer replayed or outside the five-minute TIMESTAMP window is refused, and
 * wrong SRP answers lock the user out like wrong passwords.
 * Binds a port: amazon-cognito-identity-js sends its own HTTP requests to an endpoint URL.
 */
import { AuthenticationDetails, CognitoUser, CognitoUserPool, type CognitoUserSession } from "amazon-cognito-identity-js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";
import { srpChallenge as srpAnswerer } from "../helpers/srp-answer.js";

const POOL = "local_default";
const CLIENT = "default";
const PASSWORD = "Correct-horse-9";
let server: TestServer;
let userPool: CognitoUserPool;
/** The server's clock: the real one, unless a test holds it still. */
let heldClock: number | null = null;

beforeAll(async () => {
  server = await startTestServer({ now: () => heldClock ?? Date.now(), config: { userPools: userPoolsConfig("http://user-pool.test") } });
  userPool = new CognitoUserPool({ UserPoolId: POOL, ClientId: CLIENT, endpoint: `${server.url}/aws/cognito-idp` });
  const call = (operation: string, body: unknown) => callUserPool(fetch, server.url, operation, body);
  await call("SignUp", { ClientId: CLIENT, Username: "srp-user", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "srp@example.com" }] });
  await call("ConfirmSignUp", { ClientId: CLIENT, Username: "srp-user", ConfirmationCode: await codeFromLog(server.dataDir, "srp-user", "SIGN_UP") });
});
afterEach(() => {
  heldClock = null;
});
afterAll(async () => {
  await server?.close();
});

function authenticate(username: string, password: string): Promise<CognitoUserSession> {
  const user = new CognitoUser({ Username: username, Pool: userPool });
  return new Promise((resolve, reject) => user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), { onSuccess: resolve, onFailure: reject }));
}

/** The client half of Cognito's SRP, for answers the library would never send (replays, old timestamps). */
const srpChallenge = (username: string, password = PASSWORD) => srpAnswerer({ send: fetch, baseUrl: server.url, clientId: CLIENT, poolName: "default" }, username, password);

// amazon-cognito-identity-js does its SRP math in JavaScript big numbers: about a second per sign-in, more on a busy machine.
describe("user pool SRP sign-in", { timeout: 60_000 }, () => {
  it("signs in with amazon-cognito-identity-js's SRP, by username and by verified email", async () => {
    const session = await authenticate("srp-user", PASSWORD);
    expect(session.isValid()).toBe(true);
    expect(session.getIdToken().decodePayload()).toMatchObject({ "cognito:username": "srp-user", token_use: "id" });
    const byEmail = await authenticate("srp@example.com", PASSWORD);
    expect(byEmail.getAccessToken().decodePayload()).toMatchObject({ username: "srp-user" });
  });

  it("refuses a wrong password and an unknown user with the same NotAuthorizedException", async () => {
    await expect(authenticate("srp-user", "Wrong-horse-9")).rejects.toMatchObject({ code: "NotAuthorizedException", message: "Incorrect username or password." });
    await expect(authenticate("nobody-here", PASSWORD)).rejects.toMatchObject({ code: "NotAuthorizedException", message: "Incorrect username or password." });
  });

  it("refuses a replayed answer and a TIMESTAMP more than five minutes off", async () => {
    const answer = (await srpChallenge("srp-user"))(new Date());
    const first = await callUserPool(fetch, server.url, "RespondToAuthChallenge", answer);
    expect(first.status).toBe(200);
    expect(first.body["AuthenticationResult"]).toMatchObject({ TokenType: "Bearer" });
    const replayed = await callUserPool(fetch, server.url, "RespondToAuthChallenge", answer);
    expect([replayed.status, replayed.type, replayed.header]).toEqual([400, "NotAuthorizedException", "NotAuthorizedException"]);
    const stale = await callUserPool(fetch, server.url, "RespondToAuthChallenge", (await srpChallenge("srp-user"))(new Date(Date.now() - 6 * 60_000)));
    expect([stale.status, stale.type]).toEqual([400, "NotAuthorizedException"]);
  });

  it("locks out a user whose SRP answers were wrong, refusing even the right password with Password attempts exceeded", async () => {
    const call = (operation: string, body: unknown) => callUserPool(fetch, server.url, operation, body);
    await call("SignUp", { ClientId: CLIENT, Username: "srp-locked", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "srp-locked@example.com" }] });
    await call("ConfirmSignUp", { ClientId: CLIENT, Username: "srp-locked", ConfirmationCode: await codeFromLog(server.dataDir, "srp-locked", "SIGN_UP") });
    // The clock stands still, so the one-second lockout cannot end while the test runs.
    heldClock = Date.now();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const wrong = await call("RespondToAuthChallenge", (await srpChallenge("srp-locked", "Wrong-horse-9"))(new Date(heldClock)));
      expect([wrong.type, wrong.body["message"]]).toEqual(["NotAuthorizedException", "Incorrect username or password."]);
    }
    const refused = await call("RespondToAuthChallenge", (await srpChallenge("srp-locked"))(new Date(heldClock)));
    expect([refused.status, refused.type, refused.body["message"]]).toEqual([400, "NotAuthorizedException", "Password attempts exceeded"]);
    heldClock += 1000;
    const after = await call("RespondToAuthChallenge", (await srpChallenge("srp-locked"))(new Date(heldClock)));
    expect(after.body["AuthenticationResult"]).toMatchObject({ TokenType: "Bearer" });
  });
});
