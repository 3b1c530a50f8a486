/**
 * The MFA steps that lead to another challenge take one accepted answer per Session, as Cognito's
 * sessions do: a SELECT_MFA_TYPE Session and an MFA_SETUP Session answered with `EMAIL` each return
 * the next challenge's own Session, and presented again are refused with Cognito's
 * `NotAuthorizedException: Invalid session for the user, session can only be used once.`, sending
 * no further code. A refused answer (a factor the user cannot choose, an address that is not one)
 * leaves the Session usable. The challenges that end in tokens (SOFTWARE_TOKEN_MFA, EMAIL_OTP,
 * SMS_MFA, MFA_SETUP with a verified token) are refused alike once answered, shown here for TOTP,
 * EMAIL_OTP and MFA_SETUP; a Session retired unanswered (by a newer sign-in) is refused as expired.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMailCatcher, type MailCatcher } from "../helpers/mail-catcher.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { callUserPool, totpCode, userPoolsConfig } from "../helpers/user-pool-clients.js";

const PASSWORD = "Correct-horse-9";
const USED_ONCE = "Invalid session for the user, session can only be used once.";
const EXPIRED = "Invalid session for the user, session is expired.";
let smtp: MailCatcher | undefined;
let server: TestServer;

beforeAll(async () => {
  smtp = await startMailCatcher();
  const pools = [
    { id: "local_mfachoice", clients: [{ id: "choice" }], mfaTypes: ["SOFTWARE_TOKEN_MFA" as const, "EMAIL_OTP" as const], identityPool: null },
    { id: "local_mfasetup", clients: [{ id: "setup" }], mfaConfiguration: "ON" as const, mfaTypes: ["SOFTWARE_TOKEN_MFA" as const, "EMAIL_OTP" as const], identityPool: null },
  ];
  server = await startTestServer({ config: { userPools: userPoolsConfig("http://user-pool.test", pools, smtp.url) } });
});
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

const call = (operation: string, body: unknown) => callUserPool(fetch, server.url, operation, body);

/** The code in the newest mail to `to` after mail number `after`. */
async function mailedCode(to: string, after: number): Promise<string> {
  await expect.poll(() => smtp!.mails.slice(after).some((mail) => mail.includes(`To: ${to}`)), { timeout: 15_000 }).toBe(true);
  const mail = smtp!.mails.slice(after).filter((text) => text.includes(`To: ${to}`)).at(-1)!;
  return /is (\d{6,8})\b/.exec(mail)![1]!;
}

async function signUp(clientId: string, username: string): Promise<void> {
  const seen = smtp!.mails.length;
  expect((await call("SignUp", { ClientId: clientId, Username: username, Password: PASSWORD, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] })).status).toBe(200);
  expect((await call("ConfirmSignUp", { ClientId: clientId, Username: username, ConfirmationCode: await mailedCode(`${username}@example.com`, seen) })).status).toBe(200);
}

describe("MFA challenge sessions answered once", { timeout: 60_000 }, () => {
  it("refuses a SELECT_MFA_TYPE Session presented again after its choice, and a TOTP Session after its sign-in", async () => {
    await signUp("choice", "sela");
    const signedIn = await call("InitiateAuth", { ClientId: "choice", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "sela", PASSWORD } });
    const token = signedIn.body["AuthenticationResult"]["AccessToken"] as string;
    const secret = (await call("AssociateSoftwareToken", { AccessToken: token })).body["SecretCode"] as string;
    expect((await call("VerifySoftwareToken", { AccessToken: token, UserCode: totpCode(secret, Date.now()) })).body).toEqual({ Status: "SUCCESS" });
    expect((await call("SetUserMFAPreference", { AccessToken: token, SoftwareTokenMfaSettings: { Enabled: true }, EmailMfaSettings: { Enabled: true } })).status).toBe(200);

    const select = await call("InitiateAuth", { ClientId: "choice", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "sela", PASSWORD } });
    expect(select.body["ChallengeName"]).toBe("SELECT_MFA_TYPE");
    const respond = (challenge: string, session: unknown, responses: Record<string, string>) =>
      call("RespondToAuthChallenge", { ClientId: "choice", ChallengeName: challenge, Session: session, ChallengeResponses: { USERNAME: "sela", ...responses } });
    expect((await respond("SELECT_MFA_TYPE", select.body["Session"], { ANSWER: "SMS_MFA" })).type).toBe("InvalidParameterException");
    const chosen = await respond("SELECT_MFA_TYPE", select.body["Session"], { ANSWER: "SOFTWARE_TOKEN_MFA" });
    expect(chosen.body["ChallengeName"]).toBe("SOFTWARE_TOKEN_MFA");
    const mailsBefore = smtp!.mails.length;
    for (const choice of ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]) {
      expect(await respond("SELECT_MFA_TYPE", select.body["Session"], { ANSWER: choice })).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: USED_ONCE } });
    }

    // The next time step's code (accepted one step either side; the set-up spent the current one).
    const code = totpCode(secret, Date.now() + 30_000);
    expect((await respond("SOFTWARE_TOKEN_MFA", chosen.body["Session"], { SOFTWARE_TOKEN_MFA_CODE: code })).body["AuthenticationResult"]).toMatchObject({ AccessToken: expect.any(String) });
    expect(await respond("SOFTWARE_TOKEN_MFA", chosen.body["Session"], { SOFTWARE_TOKEN_MFA_CODE: code })).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: USED_ONCE } });
    // No code was mailed for the refused choices.
    expect(smtp!.mails.length).toBe(mailsBefore);
  });

  it("refuses an MFA_SETUP Session presented again after its EMAIL answer, mailing nothing more", async () => {
    await signUp("setup", "sami");
    const setup = await call("InitiateAuth", { ClientId: "setup", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "sami", PASSWORD } });
    expect(setup.body["ChallengeName"]).toBe("MFA_SETUP");
    const respond = (email: string) => call("RespondToAuthChallenge", { ClientId: "setup", ChallengeName: "MFA_SETUP", Session: setup.body["Session"], ChallengeResponses: { USERNAME: "sami", EMAIL: email } });
    expect((await respond("not an address")).type).toBe("InvalidParameterException");
    const seen = smtp!.mails.length;
    const emailChallenge = await respond("sami@example.com");
    expect(emailChallenge.body["ChallengeName"]).toBe("EMAIL_OTP");
    const code = await mailedCode("sami@example.com", seen);
    const afterFirst = smtp!.mails.length;
    expect(await respond("someone-else@example.com")).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: USED_ONCE } });
    expect(await respond("sami@example.com")).toMatchObject({ type: "NotAuthorizedException", body: { message: USED_ONCE } });
    const answered = await call("RespondToAuthChallenge", { ClientId: "setup", ChallengeName: "EMAIL_OTP", Session: emailChallenge.body["Session"], ChallengeResponses: { USERNAME: "sami", EMAIL_OTP_CODE: code } });
    expect(answered.body["AuthenticationResult"]).toMatchObject({ AccessToken: expect.any(String) });
    expect(smtp!.mails.length).toBe(afterFirst);
    const replayed = await call("RespondToAuthChallenge", { ClientId: "setup", ChallengeName: "EMAIL_OTP", Session: emailChallenge.body["Session"], ChallengeResponses: { USERNAME: "sami", EMAIL_OTP_CODE: code } });
    expect(replayed).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: USED_ONCE } });
  });

  it("refuses an MFA_SETUP Session presented again after its verified token signed in, and calls one retired unanswered expired", async () => {
    await signUp("setup", "tomi");
    const signIn = () => call("InitiateAuth", { ClientId: "setup", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "tomi", PASSWORD } });
    const retired = await signIn();
    const setup = await signIn();
    expect(setup.body["ChallengeName"]).toBe("MFA_SETUP");
    const associated = await call("AssociateSoftwareToken", { Session: setup.body["Session"] });
    const secret = associated.body["SecretCode"] as string;
    const verified = await call("VerifySoftwareToken", { Session: associated.body["Session"], UserCode: totpCode(secret, Date.now()) });
    expect(verified.body).toMatchObject({ Status: "SUCCESS", Session: expect.any(String) });
    const respond = (session: unknown) => call("RespondToAuthChallenge", { ClientId: "setup", ChallengeName: "MFA_SETUP", Session: session, ChallengeResponses: { USERNAME: "tomi" } });
    expect((await respond(verified.body["Session"])).body["AuthenticationResult"]).toMatchObject({ AccessToken: expect.any(String) });
    expect(await respond(verified.body["Session"])).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: USED_ONCE } });
    expect(await call("VerifySoftwareToken", { Session: verified.body["Session"], UserCode: totpCode(secret, Date.now()) })).toMatchObject({ type: "NotAuthorizedException", body: { message: USED_ONCE } });
    // The older sign-in's Session was never answered: the newer one retired it, so it is expired.
    expect(await respond(retired.body["Session"])).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: EXPIRED } });
  });
});
