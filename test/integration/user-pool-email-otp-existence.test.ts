/**
 * PreventUserExistenceErrors for EMAIL_OTP as USER_AUTH's first factor: a username that does not
 * exist gets a challenge of the same shape as a real user's (same parameters, a Session of the same
 * size), and a code given to it is refused exactly as a real user's wrong code is.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";

const CLIENT = "web";
let server: InProcessServer;
const call = (operation: string, body: unknown) => callUserPool(server.testFetch, server.url, operation, body);

beforeAll(async () => {
  const pools = [{ id: "local_otp", clients: [{ id: CLIENT }], signInPolicy: { allowedFirstAuthFactors: ["PASSWORD" as const, "EMAIL_OTP" as const] } }];
  server = await startInProcessServer({ config: { userPools: userPoolsConfig("http://user-pool.test", pools) } });
  await call("SignUp", { ClientId: CLIENT, Username: "ora", Password: "Correct-horse-9", UserAttributes: [{ Name: "email", Value: "ora@example.com" }] });
  await call("ConfirmSignUp", { ClientId: CLIENT, Username: "ora", ConfirmationCode: await codeFromLog(server.dataDir, "ora", "SIGN_UP") });
});
afterAll(async () => {
  await server?.close();
});

const emailOtpChallenge = (username: string) => call("InitiateAuth", { ClientId: CLIENT, AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: username, PREFERRED_CHALLENGE: "EMAIL_OTP" } });

describe("EMAIL_OTP sign-in of a user who does not exist", () => {
  it("answers with a challenge of the same shape as a real user's, and refuses its codes with the same error", async () => {
    const known = await emailOtpChallenge("ora");
    const unknown = await emailOtpChallenge("zoe");
    for (const challenge of [known, unknown]) {
      expect(challenge).toMatchObject({ status: 200, body: { ChallengeName: "EMAIL_OTP", ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: "EMAIL", CODE_DELIVERY_DESTINATION: expect.stringMatching(/^[oz]\*\*\*@e\*\*\*$/) } } });
      expect(Object.keys(challenge.body).sort()).toEqual(["ChallengeName", "ChallengeParameters", "Session"]);
      expect(Object.keys(challenge.body["ChallengeParameters"]).sort()).toEqual(["CODE_DELIVERY_DELIVERY_MEDIUM", "CODE_DELIVERY_DESTINATION"]);
    }
    expect(unknown.body["Session"].length).toBe(known.body["Session"].length);

    const mailed = await codeFromLog(server.dataDir, "ora", "EMAIL_OTP");
    const wrongCode = mailed === "12345678" ? "87654321" : "12345678";
    const answer = (username: string, session: string) =>
      call("RespondToAuthChallenge", { ClientId: CLIENT, ChallengeName: "EMAIL_OTP", Session: session, ChallengeResponses: { USERNAME: username, EMAIL_OTP_CODE: wrongCode } });
    const knownRefusal = await answer("ora", known.body["Session"]);
    const unknownRefusal = await answer("zoe", unknown.body["Session"]);
    expect(knownRefusal).toMatchObject({ status: 400, type: "CodeMismatchException" });
    expect({ ...unknownRefusal, body: unknownRefusal.body }).toEqual({ ...knownRefusal, body: knownRefusal.body });
  });
});
