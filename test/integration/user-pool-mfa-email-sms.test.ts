/**
 * Email and SMS MFA end to end. Unmodified Amplify (aws-amplify 6.22): updateMFAPreference({ email:
 * "PREFERRED" }) -> signIn -> CONFIRM_SIGN_IN_WITH_EMAIL_CODE -> confirmSignIn with the code a real
 * SMTP server received; a phone number verified by a texted code, then SMS MFA likewise, the texts
 * caught by a local HTTP receiver that checks the webhook signature; two factors and none preferred
 * -> CONTINUE_SIGN_IN_WITH_MFA_SELECTION; and in a pool whose MFA is ON, Amplify's email set-up.
 * Then the raw API's refusals, with Cognito's exception names, and AdminSetUserMFAPreference
 * signed through the AWS SDK. Runs on SQLite and PostgreSQL. Binds ports: Amplify, the SDK, the
 * mailer and the SMS webhook all speak real HTTP and SMTP.
 *
 * Amplify signs in here with its USER_PASSWORD_AUTH flow: what these tests prove starts after the
 * password was accepted, and a server answers both flows' first factor with the same MFA challenges
 * (`completeSignIn`). Amplify's default SRP sign-in into an MFA challenge is
 * `user-pool-amplify.test.ts`'s; its big-number arithmetic in JavaScript costs about a quarter of
 * a CPU-second a sign-in, ten times a USER_PASSWORD_AUTH sign-in.
 */
import { AdminGetUserCommand, AdminListUserAuthEventsCommand, AdminSetUserMFAPreferenceCommand, CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { Amplify } from "aws-amplify";
import {
  confirmSignIn,
  confirmSignUp,
  confirmUserAttribute,
  fetchMFAPreference,
  fetchUserAttributes,
  sendUserAttributeVerificationCode,
  signIn,
  signOut,
  signUp,
  updateMFAPreference,
} from "aws-amplify/auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import type { UserPoolSettingsInput } from "../../server/user-pool/user-pool-config.js";
import { verifySignature } from "../../server/stream/signature.js";
import { freshAmplifyForThisFile } from "../helpers/amplify-reset.js";
import { startReceiver, type Receiver } from "../helpers/push-receivers.js";
import { startMailCatcher, type MailCatcher } from "../helpers/mail-catcher.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { callUserPool, userPoolsConfig } from "../helpers/user-pool-clients.js";

const PASSWORD = "Correct-horse-9";
const SMS_SECRET = "sms-webhook-secret-0123456789";
const DEVELOPER = { accessKeyId: "AKIAUSERPOOLMFA00001", secretAccessKey: "user-pool-mfa-developer-secret-0123456789" };

let mails: string[] = [];
let smtp: MailCatcher | undefined;
let sms: Receiver;
let server: TestServer;
/** Added to the server's clock, to let sessions and codes expire. */
let clockOffsetMs = 0;

const configure = (userPoolId: string, userPoolClientId: string) =>
  Amplify.configure({ Auth: { Cognito: { userPoolId, userPoolClientId, userPoolEndpoint: `${server.url}/aws/cognito-idp`, loginWith: { username: true, email: true }, signUpVerificationMethod: "code" } } });

freshAmplifyForThisFile();
beforeAll(async () => {
  smtp = await startMailCatcher();
  mails = smtp.mails;
  sms = await startReceiver(200);
  const smtpUrl = smtp.url;
  const pools: UserPoolSettingsInput[] = [
    { id: "local_default", mfaTypes: ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "SMS_MFA"], smsSender: { url: `${sms.url}/sms`, secret: SMS_SECRET } },
    // MFA required; SMS listed but not offered, since this pool has no sender.
    { id: "local_required", clients: [{ id: "required" }], mfaConfiguration: "ON", mfaTypes: ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "SMS_MFA"], identityPool: null },
  ];
  const identityPool = poolSettingsSchema.parse({ id: "default", developerCredentials: DEVELOPER });
  server = await startTestServer({
    config: { userPools: userPoolsConfig("http://user-pool.test", pools, smtpUrl), pools: [identityPool], outbound: { allowPrivateAddresses: true } },
    now: () => Date.now() + clockOffsetMs,
  });
});
afterAll(async () => {
  await server?.close();
  await sms?.close();
  await smtp?.close();
});

/** The `digits`-digit code in the newest mail to `to` after mail number `after`. */
async function mailedCode(to: string, after: number, digits = 6): Promise<string> {
  await expect.poll(() => mails.slice(after).some((mail) => mail.includes(`To: ${to}`)), { timeout: 15_000 }).toBe(true);
  const mail = mails.slice(after).filter((text) => text.includes(`To: ${to}`)).at(-1)!;
  return new RegExp(`is (\\d{${digits}})\\b`).exec(mail)![1]!;
}

/** The next text the SMS webhook received, after checking its signature. */
async function nextText(): Promise<{ type: string; phoneNumber: string; code: string; message: string; userPoolId: string; username: string }> {
  const request = await sms.requests.next(10_000);
  const body = request.body.toString("utf8");
  const signed = verifySignature({ secret: SMS_SECRET, body, timestamp: String(request.headers["x-syncpool-timestamp"]), signature: String(request.headers["x-syncpool-signature"]) });
  expect(signed).toBe(true);
  return JSON.parse(body);
}

/** Amplify's `signIn` of `username` with `PASSWORD`, by USER_PASSWORD_AUTH (see the header). */
const passwordSignInWithAmplify = (username: string) => signIn({ username, password: PASSWORD, options: { authFlowType: "USER_PASSWORD_AUTH" } });

async function signUpWithAmplify(username: string, attributes: Record<string, string>): Promise<void> {
  const seen = mails.length;
  await signUp({ username, password: PASSWORD, options: { userAttributes: attributes } });
  await confirmSignUp({ username, confirmationCode: await mailedCode(attributes["email"]!, seen) });
}

const call = (operation: string, body: unknown) => callUserPool(fetch, server.url, operation, body);

describe("email and SMS MFA through unmodified Amplify", { timeout: 60_000 }, () => {
  it("signs in with a mailed eight-digit code once email MFA is preferred, refusing a wrong one", async () => {
    configure("local_default", "default");
    await signUpWithAmplify("emma", { email: "emma@example.com" });
    expect((await passwordSignInWithAmplify("emma")).nextStep.signInStep).toBe("DONE");
    await updateMFAPreference({ email: "PREFERRED" });
    expect(await fetchMFAPreference()).toMatchObject({ enabled: ["EMAIL"], preferred: "EMAIL" });
    await signOut();

    const seen = mails.length;
    const challenged = await passwordSignInWithAmplify("emma");
    expect(challenged.nextStep).toEqual({ signInStep: "CONFIRM_SIGN_IN_WITH_EMAIL_CODE", codeDeliveryDetails: { deliveryMedium: "EMAIL", destination: "e***@e***" } });
    const code = await mailedCode("emma@example.com", seen, 8);
    await expect(confirmSignIn({ challengeResponse: code === "00000000" ? "11111111" : "00000000" })).rejects.toMatchObject({ name: "CodeMismatchException" });
    expect(await confirmSignIn({ challengeResponse: code })).toMatchObject({ isSignedIn: true, nextStep: { signInStep: "DONE" } });
    await signOut();
  });

  it("verifies a phone number by a texted code, then signs in with SMS MFA, and lets the user choose between two factors", async () => {
    configure("local_default", "default");
    await signUpWithAmplify("sam", { email: "sam@example.com", phone_number: "+15550100199" });
    await passwordSignInWithAmplify("sam");
    await expect(updateMFAPreference({ sms: "PREFERRED" })).rejects.toMatchObject({ name: "InvalidParameterException" });
    expect(await sendUserAttributeVerificationCode({ userAttributeKey: "phone_number" })).toMatchObject({ deliveryMedium: "SMS", destination: "+*******0199", attributeName: "phone_number" });
    const verification = await nextText();
    expect(verification).toMatchObject({ type: "VERIFY_PHONE_NUMBER", phoneNumber: "+15550100199", userPoolId: "local_default", username: "sam" });
    await confirmUserAttribute({ userAttributeKey: "phone_number", confirmationCode: verification.code });
    expect(await fetchUserAttributes()).toMatchObject({ phone_number_verified: "true" });
    await updateMFAPreference({ sms: "PREFERRED" });
    await signOut();

    const challenged = await passwordSignInWithAmplify("sam");
    expect(challenged.nextStep).toEqual({ signInStep: "CONFIRM_SIGN_IN_WITH_SMS_CODE", codeDeliveryDetails: { deliveryMedium: "SMS", destination: "+*******0199" } });
    const text = await nextText();
    expect(text).toMatchObject({ type: "SMS_MFA", phoneNumber: "+15550100199", message: `Your sign-in code is ${text.code}` });
    expect(text.code).toMatch(/^\d{6}$/);
    expect(await confirmSignIn({ challengeResponse: text.code })).toMatchObject({ isSignedIn: true });

    await updateMFAPreference({ sms: "NOT_PREFERRED", email: "ENABLED" });
    expect(await fetchMFAPreference()).toEqual({ enabled: ["SMS", "EMAIL"] });
    await signOut();
    const choosing = await passwordSignInWithAmplify("sam");
    expect(choosing.nextStep).toEqual({ signInStep: "CONTINUE_SIGN_IN_WITH_MFA_SELECTION", allowedMFATypes: ["SMS", "EMAIL"] });
    const seen = mails.length;
    const chosen = await confirmSignIn({ challengeResponse: "EMAIL" });
    expect(chosen.nextStep.signInStep).toBe("CONFIRM_SIGN_IN_WITH_EMAIL_CODE");
    expect(await confirmSignIn({ challengeResponse: await mailedCode("sam@example.com", seen, 8) })).toMatchObject({ isSignedIn: true });
    await signOut();
  });

  it("sets email MFA up at sign-in in a pool whose MFA is ON, the proven address becoming the user's verified email", async () => {
    configure("local_required", "required");
    await signUpWithAmplify("rita", { email: "rita@example.com" });
    const setup = await passwordSignInWithAmplify("rita");
    expect(setup.nextStep).toEqual({ signInStep: "CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION", allowedMFATypes: ["TOTP", "EMAIL"] });
    expect((await confirmSignIn({ challengeResponse: "EMAIL" })).nextStep.signInStep).toBe("CONTINUE_SIGN_IN_WITH_EMAIL_SETUP");
    const seen = mails.length;
    const sent = await confirmSignIn({ challengeResponse: "rita.work@example.com" });
    expect(sent.nextStep).toEqual({ signInStep: "CONFIRM_SIGN_IN_WITH_EMAIL_CODE", codeDeliveryDetails: { deliveryMedium: "EMAIL", destination: "r***@e***" } });
    expect(await confirmSignIn({ challengeResponse: await mailedCode("rita.work@example.com", seen, 8) })).toMatchObject({ isSignedIn: true });
    expect(await fetchUserAttributes()).toMatchObject({ email: "rita.work@example.com", email_verified: "true" });
    expect(await fetchMFAPreference()).toMatchObject({ enabled: ["EMAIL"], preferred: "EMAIL" });
    await signOut();
  });
});

describe("email and SMS MFA refusals through the raw API", { timeout: 60_000 }, () => {
  /** Signs `username` up (confirmed by its mailed code) and in; returns the access token. */
  async function signedUp(username: string, clientId = "default"): Promise<string> {
    const seen = mails.length;
    expect((await call("SignUp", { ClientId: clientId, Username: username, Password: PASSWORD, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] })).status).toBe(200);
    expect((await call("ConfirmSignUp", { ClientId: clientId, Username: username, ConfirmationCode: await mailedCode(`${username}@example.com`, seen) })).status).toBe(200);
    const signedIn = await call("InitiateAuth", { ClientId: clientId, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD } });
    return signedIn.body["AuthenticationResult"]?.["AccessToken"] as string;
  }
  const passwordSignIn = (username: string) => call("InitiateAuth", { ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD } });
  const answer = (challenge: string, session: unknown, responses: Record<string, string>) =>
    call("RespondToAuthChallenge", { ClientId: "default", ChallengeName: challenge, Session: session, ChallengeResponses: { USERNAME: "ivan", ...responses } });

  it("refuses MFA a user or pool cannot have, and bad answers to the challenges, with Cognito's exception names", async () => {
    const token = await signedUp("ivan");
    const refusals: [string, string, Record<string, unknown>, string][] = [
      ["both preferred", "SetUserMFAPreference", { EmailMfaSettings: { Enabled: true, PreferredMfa: true }, SMSMfaSettings: { Enabled: true, PreferredMfa: true } }, "InvalidParameterException"],
      ["SMS without a verified phone number", "SetUserMFAPreference", { SMSMfaSettings: { Enabled: true } }, "InvalidParameterException"],
      ["TOTP never verified", "SetUserMFAPreference", { SoftwareTokenMfaSettings: { Enabled: true } }, "InvalidParameterException"],
      ["settings not an object", "SetUserMFAPreference", { EmailMfaSettings: "on" }, "InvalidParameterException"],
      ["verifying an attribute that cannot be", "GetUserAttributeVerificationCode", { AttributeName: "name" }, "InvalidParameterException"],
      ["verifying a phone number the user has not", "GetUserAttributeVerificationCode", { AttributeName: "phone_number" }, "InvalidParameterException"],
      ["a wrong verification code", "VerifyUserAttribute", { AttributeName: "email", Code: "000000" }, "CodeMismatchException"],
    ];
    for (const [label, operation, body, type] of refusals) {
      const refused = await call(operation, { AccessToken: token, ...body });
      expect({ label, status: refused.status, type: refused.type, header: refused.header }).toEqual({ label, status: 400, type, header: type });
    }
    expect((await call("GetUser", { AccessToken: token })).body).toMatchObject({ UserMFASettingList: [] });

    expect((await call("SetUserMFAPreference", { AccessToken: token, EmailMfaSettings: { Enabled: true, PreferredMfa: true } })).status).toBe(200);
    const challenge = await passwordSignIn("ivan");
    expect(challenge.body).toMatchObject({ ChallengeName: "EMAIL_OTP", ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: "EMAIL", CODE_DELIVERY_DESTINATION: "i***@e***" } });
    const session = challenge.body["Session"];
    expect((await answer("EMAIL_OTP", session, {})).type).toBe("InvalidParameterException");
    expect((await answer("SMS_MFA", session, { SMS_MFA_CODE: "123456" })).type).toBe("NotAuthorizedException");
    expect((await answer("SELECT_MFA_TYPE", session, { ANSWER: "EMAIL_OTP" })).type).toBe("NotAuthorizedException");
    for (let wrong = 0; wrong < 5; wrong += 1) expect((await answer("EMAIL_OTP", session, { EMAIL_OTP_CODE: "not-the-code" })).type).toBe("CodeMismatchException");
    // Five wrong codes: the session is spent, and the wrong codes counted towards the lockout.
    expect((await answer("EMAIL_OTP", session, { EMAIL_OTP_CODE: "12345678" })).type).toBe("NotAuthorizedException");
    expect(await passwordSignIn("ivan")).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: "Password attempts exceeded" } });
  });

  it("takes each mailed code once, and not after the challenge's three minutes", async () => {
    const token = await signedUp("olga");
    await call("SetUserMFAPreference", { AccessToken: token, EmailMfaSettings: { Enabled: true, PreferredMfa: true } });
    const respond = (session: unknown, code: string) => call("RespondToAuthChallenge", { ClientId: "default", ChallengeName: "EMAIL_OTP", Session: session, ChallengeResponses: { USERNAME: "olga", EMAIL_OTP_CODE: code } });
    let seen = mails.length;
    const first = await passwordSignIn("olga");
    const code = await mailedCode("olga@example.com", seen, 8);
    expect((await respond(first.body["Session"], code)).body["AuthenticationResult"]).toBeDefined();
    expect((await respond(first.body["Session"], code)).type).toBe("NotAuthorizedException");

    seen = mails.length;
    const second = await passwordSignIn("olga");
    const later = await mailedCode("olga@example.com", seen, 8);
    clockOffsetMs = 3 * 60_000 + 1000;
    try {
      expect((await respond(second.body["Session"], later)).type).toBe("NotAuthorizedException");
    } finally {
      clockOffsetMs = 0;
    }
  });

  it("answers SELECT_MFA_TYPE only with one of MFAS_CAN_CHOOSE, then texts the chosen factor's code", async () => {
    const token = await signedUp("pia");
    expect((await call("UpdateUserAttributes", { AccessToken: token, UserAttributes: [{ Name: "phone_number", Value: "+15550100123" }] })).status).toBe(200);
    expect((await call("GetUserAttributeVerificationCode", { AccessToken: token, AttributeName: "phone_number" })).body).toEqual({ CodeDeliveryDetails: { Destination: "+*******0123", DeliveryMedium: "SMS", AttributeName: "phone_number" } });
    expect((await call("VerifyUserAttribute", { AccessToken: token, AttributeName: "phone_number", Code: (await nextText()).code })).status).toBe(200);
    expect((await call("SetUserMFAPreference", { AccessToken: token, SMSMfaSettings: { Enabled: true }, EmailMfaSettings: { Enabled: true } })).status).toBe(200);
    const select = await passwordSignIn("pia");
    expect(select.body).toMatchObject({ ChallengeName: "SELECT_MFA_TYPE", ChallengeParameters: { MFAS_CAN_CHOOSE: '["SMS_MFA","EMAIL_OTP"]' } });
    const respond = (challenge: string, session: unknown, responses: Record<string, string>) =>
      call("RespondToAuthChallenge", { ClientId: "default", ChallengeName: challenge, Session: session, ChallengeResponses: { USERNAME: "pia", ...responses } });
    expect((await respond("SELECT_MFA_TYPE", select.body["Session"], { ANSWER: "SOFTWARE_TOKEN_MFA" })).type).toBe("InvalidParameterException");
    expect((await respond("SELECT_MFA_TYPE", select.body["Session"], {})).type).toBe("InvalidParameterException");
    const chosen = await respond("SELECT_MFA_TYPE", select.body["Session"], { ANSWER: "SMS_MFA" });
    expect(chosen.body).toMatchObject({ ChallengeName: "SMS_MFA", ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: "SMS", CODE_DELIVERY_DESTINATION: "+*******0123" } });
    const text = await nextText();
    expect((await respond("SMS_MFA", chosen.body["Session"], { SMS_MFA_CODE: text.code })).body["AuthenticationResult"]).toBeDefined();
  });

  it("sets email MFA up only with an email address, offers no SMS in a pool without a sender, and lets the developer set a user's MFA", async () => {
    const token = await signedUp("nina", "required");
    expect(token).toBeUndefined();
    const setup = await call("InitiateAuth", { ClientId: "required", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "nina", PASSWORD } });
    expect(setup.body).toMatchObject({ ChallengeName: "MFA_SETUP", ChallengeParameters: { MFAS_CAN_SETUP: '["SOFTWARE_TOKEN_MFA","EMAIL_OTP"]' } });
    const notEmail = await call("RespondToAuthChallenge", { ClientId: "required", ChallengeName: "MFA_SETUP", Session: setup.body["Session"], ChallengeResponses: { USERNAME: "nina", EMAIL: "not an address" } });
    expect(notEmail.type).toBe("InvalidParameterException");

    const both = await signedUp("omar");
    const developer = new CognitoIdentityProviderClient({ region: "local", endpoint: `${server.url}/aws/cognito-idp`, requestHandler: new NodeHttpHandler(), maxAttempts: 1, credentials: DEVELOPER });
    try {
      await expect(developer.send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: "local_default", Username: "nobody", EmailMfaSettings: { Enabled: true } }))).rejects.toMatchObject({ name: "UserNotFoundException" });
      await expect(developer.send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: "local_default", Username: "omar", SMSMfaSettings: { Enabled: true } }))).rejects.toMatchObject({ name: "InvalidParameterException" });
      await developer.send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: "local_default", Username: "omar@example.com", EmailMfaSettings: { Enabled: true, PreferredMfa: true } }));
      expect(await developer.send(new AdminGetUserCommand({ UserPoolId: "local_default", Username: "omar" }))).toMatchObject({ UserMFASettingList: ["EMAIL_OTP"], PreferredMfaSetting: "EMAIL_OTP" });
      const ivanEvents = await developer.send(new AdminListUserAuthEventsCommand({ UserPoolId: "local_default", Username: "ivan" }));
      const mfaFailures = (ivanEvents.AuthEvents ?? []).filter((event) => event.ChallengeResponses?.some((challenge) => challenge.ChallengeName === "Mfa" && challenge.ChallengeResponse === "Failure"));
      // Every refused answer of ivan's challenge: no code, the wrong challenge, five wrong codes, the spent session.
      expect(mfaFailures).toHaveLength(8);
    } finally {
      developer.destroy();
    }
    expect((await call("GetUser", { AccessToken: both })).body).toMatchObject({ UserMFASettingList: ["EMAIL_OTP"], PreferredMfaSetting: "EMAIL_OTP" });
    const unsigned = await call("AdminSetUserMFAPreference", { UserPoolId: "local_default", Username: "omar", EmailMfaSettings: { Enabled: false } });
    expect(unsigned).toMatchObject({ status: 403, type: "MissingAuthenticationTokenException" });
    expect((await passwordSignIn("omar")).body).toMatchObject({ ChallengeName: "EMAIL_OTP" });
  });
});
