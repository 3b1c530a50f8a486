/**
 * The NEW_PASSWORD_REQUIRED challenge's Session is good for one accepted answer, as Cognito's are:
 * presented again, with the same password or another, it is refused with Cognito's
 * `NotAuthorizedException: Invalid session for the user, session can only be used once.`, sets no
 * password and signs no one in; of two copies sent at once exactly one is answered. A refused
 * answer (a password the policy rejects) leaves the Session usable for a corrected one. The answers
 * are recorded in the database (`answered-sessions.ts`). Runs on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";

const POOL = "local_newpassword";
const CLIENT = "app";
const TEMPORARY = "Temporary-horse-1";
const USED_ONCE = "Invalid session for the user, session can only be used once.";
let server: InProcessServer;

const call = (operation: string, body: unknown) => callUserPool(server.testFetch, server.url, operation, body);

beforeAll(async () => {
  server = await startInProcessServer({ config: { userPools: userPoolsConfig("http://user-pool.test", [{ id: POOL, clients: [{ id: CLIENT }] }]) } });
});
afterAll(async () => {
  await server?.close();
});

/** A user who must set a new password, as an administrator leaves one, and the Session of its challenge. */
async function newPasswordChallenge(username: string): Promise<string> {
  if ((await server.storage.userPools.getUser(POOL, username)) === null) {
    await call("SignUp", { ClientId: CLIENT, Username: username, Password: TEMPORARY, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] });
    await call("ConfirmSignUp", { ClientId: CLIENT, Username: username, ConfirmationCode: await codeFromLog(server.dataDir, username, "SIGN_UP") });
  }
  const user = (await server.storage.userPools.getUser(POOL, username))!;
  await server.storage.userPools.updateUser(POOL, user.sub, { status: "FORCE_CHANGE_PASSWORD", updatedAt: Date.now() });
  const started = await call("InitiateAuth", { ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD: TEMPORARY } });
  expect(started.body["ChallengeName"]).toBe("NEW_PASSWORD_REQUIRED");
  return started.body["Session"] as string;
}

const answer = (username: string, session: string, password: string) =>
  call("RespondToAuthChallenge", { ClientId: CLIENT, ChallengeName: "NEW_PASSWORD_REQUIRED", Session: session, ChallengeResponses: { USERNAME: username, NEW_PASSWORD: password } });
const signIn = (username: string, password: string) => call("InitiateAuth", { ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD: password } });

// Each test hashes or checks a password with argon2id six times or more (sign-up, sign-ins, the new
// password): past vitest's 5 s on two cores at load 16, where every hash waits for a core.
describe("NEW_PASSWORD_REQUIRED sessions", { timeout: 30_000 }, () => {
  it("refuses a replayed answer with Cognito's error for a used session, setting no password", async () => {
    const session = await newPasswordChallenge("nia");
    const refused = await answer("nia", session, "short");
    expect(refused.body["__type"]).toBe("InvalidPasswordException");

    const accepted = await answer("nia", session, "New-horse-22");
    expect(accepted.body["AuthenticationResult"]).toMatchObject({ AccessToken: expect.any(String) });

    for (const password of ["New-horse-22", "Other-horse-33"]) {
      const replayed = await answer("nia", session, password);
      expect(replayed).toMatchObject({ status: 400, body: { __type: "NotAuthorizedException", message: USED_ONCE } });
      expect(replayed.body["AuthenticationResult"]).toBeUndefined();
    }
    expect((await signIn("nia", "Other-horse-33")).body["__type"]).toBe("NotAuthorizedException");
    expect((await signIn("nia", "New-horse-22")).body["AuthenticationResult"]).toMatchObject({ AccessToken: expect.any(String) });
  });

  it("answers exactly one of two copies of an answer sent at once", async () => {
    const session = await newPasswordChallenge("noa");
    const answers = await Promise.all([answer("noa", session, "First-horse-44"), answer("noa", session, "Second-horse-55")]);
    const signedIn = answers.filter((reply) => reply.body["AuthenticationResult"] !== undefined);
    expect(signedIn).toHaveLength(1);
    expect(answers.find((reply) => reply.body["AuthenticationResult"] === undefined)).toMatchObject({ body: { __type: "NotAuthorizedException", message: USED_ONCE } });
    const winner = answers.indexOf(signedIn[0]!) === 0 ? "First-horse-44" : "Second-horse-55";
    expect((await signIn("noa", winner)).body["AuthenticationResult"]).toMatchObject({ AccessToken: expect.any(String) });
  });
});
