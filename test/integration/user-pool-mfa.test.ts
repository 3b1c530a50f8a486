/**
 * TOTP MFA of the built-in user pool through the raw API, as the AWS SDK calls it: MFA_SETUP in a
 * pool whose MFA is ON (AssociateSoftwareToken and VerifySoftwareToken answered with the
 * challenge's Session), the SOFTWARE_TOKEN_MFA challenge that follows, GetUser's MFA settings,
 * turning TOTP off, a pool with MFA OFF, and the secret sealed at rest. The server's clock is
 * injected, so each code is computed for a known time step.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IN_PROCESS_URL, startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, totpCode, userPoolsConfig } from "../helpers/user-pool-clients.js";

const PASSWORD = "Correct-horse-9";
let server: InProcessServer;
let clock = Date.parse("2026-12-06T01:00:00.000Z");
const call = (operation: string, body: unknown) => callUserPool((path, init) => server.fetch(path, init), "", operation, body);

beforeAll(async () => {
  const pools = [
    { id: "local_strict", clients: [{ id: "strict" }], mfaConfiguration: "ON" as const },
    { id: "local_plain", clients: [{ id: "plain" }], mfaConfiguration: "OFF" as const },
    { id: "local_optional", clients: [{ id: "optional" }] },
  ];
  server = await startInProcessServer({ now: () => clock, config: { userPools: userPoolsConfig(IN_PROCESS_URL, pools) } });
});
afterAll(async () => {
  await server?.close();
});

async function signUpConfirmed(clientId: string, username: string): Promise<void> {
  await call("SignUp", { ClientId: clientId, Username: username, Password: PASSWORD, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] });
  await call("ConfirmSignUp", { ClientId: clientId, Username: username, ConfirmationCode: await codeFromLog(server.dataDir, username, "SIGN_UP") });
}

const passwordSignIn = (clientId: string, username: string) =>
  call("InitiateAuth", { ClientId: clientId, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD } });

// Slow by nature: every sign-up, sign-in and password change hashes with argon2id (12 MiB, three
// passes), several per test, which takes seconds when the two cores are busy.
describe("user-pool TOTP MFA", { timeout: 30_000 }, () => {
  let secret = "";
  let accessToken = "";

  it("makes a user without MFA set up TOTP at sign-in when the pool's MFA is ON", async () => {
    await signUpConfirmed("strict", "ursula");
    const challenge = await passwordSignIn("strict", "ursula");
    expect(challenge.body).toMatchObject({ ChallengeName: "MFA_SETUP", ChallengeParameters: { MFAS_CAN_SETUP: '["SOFTWARE_TOKEN_MFA"]' }, Session: expect.any(String) });
    expect(challenge.body["AuthenticationResult"]).toBeUndefined();

    const associated = await call("AssociateSoftwareToken", { Session: challenge.body["Session"] });
    expect(associated.body).toMatchObject({ SecretCode: expect.stringMatching(/^[A-Z2-7]{32}$/), Session: expect.any(String) });
    secret = associated.body["SecretCode"];
    // Finishing before a code verified the secret is refused.
    const early = await call("RespondToAuthChallenge", { ClientId: "strict", ChallengeName: "MFA_SETUP", Session: associated.body["Session"], ChallengeResponses: { USERNAME: "ursula" } });
    expect(early.type).toBe("InvalidParameterException");

    const verified = await call("VerifySoftwareToken", { Session: associated.body["Session"], UserCode: totpCode(secret, clock), FriendlyDeviceName: "ursula's phone" });
    expect(verified.body).toMatchObject({ Status: "SUCCESS", Session: expect.any(String) });
    const done = await call("RespondToAuthChallenge", { ClientId: "strict", ChallengeName: "MFA_SETUP", Session: verified.body["Session"], ChallengeResponses: { USERNAME: "ursula" } });
    expect(done.body["AuthenticationResult"]).toMatchObject({ AccessToken: expect.any(String), RefreshToken: expect.any(String), TokenType: "Bearer" });
    accessToken = done.body["AuthenticationResult"]["AccessToken"];

    const user = await call("GetUser", { AccessToken: accessToken });
    expect(user.body).toMatchObject({ UserMFASettingList: ["SOFTWARE_TOKEN_MFA"], PreferredMfaSetting: "SOFTWARE_TOKEN_MFA" });
  });

  it("asks for a TOTP code at the next sign-in and issues tokens for the code of a later step", async () => {
    clock += 30_000;
    const challenge = await passwordSignIn("strict", "ursula");
    expect(challenge.body).toMatchObject({ ChallengeName: "SOFTWARE_TOKEN_MFA", ChallengeParameters: { FRIENDLY_DEVICE_NAME: "ursula's phone" } });
    const answered = await call("RespondToAuthChallenge", {
      ClientId: "strict",
      ChallengeName: "SOFTWARE_TOKEN_MFA",
      Session: challenge.body["Session"],
      ChallengeResponses: { USERNAME: "ursula", SOFTWARE_TOKEN_MFA_CODE: totpCode(secret, clock) },
    });
    expect(answered.status).toBe(200);
    expect(answered.body["AuthenticationResult"]["IdToken"]).toEqual(expect.any(String));
  });

  it("keeps the TOTP secret sealed at rest", async () => {
    const user = await server.storage.userPools.getUser("local_strict", "ursula");
    const stored = await server.storage.userPools.getTotp("local_strict", user!.sub);
    expect(stored?.secret).toMatch(/^sealed:v1:/);
    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it("signs in without a code once the user turns TOTP off in an OPTIONAL pool", async () => {
    await signUpConfirmed("optional", "otto");
    const signIn = () => passwordSignIn("optional", "otto");
    const AccessToken = (await signIn()).body["AuthenticationResult"]["AccessToken"];
    const ottoSecret = (await call("AssociateSoftwareToken", { AccessToken })).body["SecretCode"];
    expect((await call("VerifySoftwareToken", { AccessToken, UserCode: totpCode(ottoSecret, clock) })).body).toEqual({ Status: "SUCCESS" });
    // Verified but not enabled: sign-in does not ask for a code yet.
    expect((await call("GetUser", { AccessToken })).body["UserMFASettingList"]).toEqual([]);
    expect((await signIn()).body["AuthenticationResult"]).toBeDefined();
    await call("SetUserMFAPreference", { AccessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } });
    expect((await signIn()).body["ChallengeName"]).toBe("SOFTWARE_TOKEN_MFA");
    await call("SetUserMFAPreference", { AccessToken, SoftwareTokenMfaSettings: { Enabled: false } });
    expect((await signIn()).body["AuthenticationResult"]).toBeDefined();
    expect((await call("GetUser", { AccessToken })).body).not.toHaveProperty("PreferredMfaSetting");
  });

  it("refuses TOTP set-up in a pool whose MFA is OFF with SoftwareTokenMFANotFoundException", async () => {
    await signUpConfirmed("plain", "paula");
    const signedIn = await passwordSignIn("plain", "paula");
    expect(signedIn.body["AuthenticationResult"]).toBeDefined();
    const refused = await call("AssociateSoftwareToken", { AccessToken: signedIn.body["AuthenticationResult"]["AccessToken"] });
    expect([refused.status, refused.type, refused.header]).toEqual([400, "SoftwareTokenMFANotFoundException", "SoftwareTokenMFANotFoundException"]);
  });
});
