/**
 * Choice-based sign-in (USER_AUTH) of the built-in user pool: through the real
 * `@aws-sdk/client-cognito-identity-provider`, SELECT_CHALLENGE and its answers, refusals over the
 * wire, EMAIL_OTP for someone who does not exist, and the one sign-in ConfirmSignUp's Session
 * allows; every answered Session (SELECT_CHALLENGE's, an emailed code's, ConfirmSignUp's) refused
 * again with Cognito's "session can only be used once"; then unmodified Amplify's `signIn` with USER_AUTH, preferring PASSWORD_SRP and PASSWORD,
 * choosing a factor, autoSignIn after confirmSignUp, and EMAIL_OTP as a first factor.
 * Passkeys themselves are `user-pool-passkeys.test.ts`; the pools are `test/helpers/passkey-pool.ts`'s.
 * Binds a port: the SDK and Amplify send their own HTTP requests.
 */
import { InitiateAuthCommand, RespondToAuthChallengeCommand } from "@aws-sdk/client-cognito-identity-provider";
import { Amplify } from "aws-amplify";
import { autoSignIn, confirmSignIn, confirmSignUp, fetchAuthSession, signIn, signOut, signUp } from "aws-amplify/auth";
import { beforeAll, describe, expect, it } from "vitest";
import { freshAmplifyForThisFile } from "../helpers/amplify-reset.js";
import { PASSWORD, passkeyPoolForThisFile, refusal } from "../helpers/passkey-pool.js";
import { codeFromLog } from "../helpers/user-pool-clients.js";

freshAmplifyForThisFile();
const pool = passkeyPoolForThisFile();
const { call, signUpConfirmed } = pool;
const USED_ONCE = "Invalid session for the user, session can only be used once.";

describe("USER_AUTH through the AWS SDK", { timeout: 30_000 }, () => {
  beforeAll(async () => {
    await signUpConfirmed("web", "pia");
    await signUpConfirmed("plain", "sven");
  });

  it("offers SELECT_CHALLENGE without a preference, and starts the chosen factor", async () => {
    const offered = await pool.cognito.send(new InitiateAuthCommand({ ClientId: "web", AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "pia" } }));
    expect(offered).toMatchObject({ ChallengeName: "SELECT_CHALLENGE", AvailableChallenges: ["PASSWORD", "PASSWORD_SRP", "WEB_AUTHN", "EMAIL_OTP"], Session: expect.any(String) });
    const choose = async (responses: Record<string, string>) => {
      const { Session } = await pool.cognito.send(new InitiateAuthCommand({ ClientId: "web", AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "pia" } }));
      return pool.cognito.send(new RespondToAuthChallengeCommand({ ClientId: "web", ChallengeName: "SELECT_CHALLENGE", Session, ChallengeResponses: { USERNAME: "pia", ...responses } }));
    };
    const passkey = await pool.cognito.send(
      new RespondToAuthChallengeCommand({ ClientId: "web", ChallengeName: "SELECT_CHALLENGE", Session: offered.Session, ChallengeResponses: { USERNAME: "pia", ANSWER: "WEB_AUTHN" } }),
    );
    expect(passkey).toMatchObject({ ChallengeName: "WEB_AUTHN", ChallengeParameters: { CREDENTIAL_REQUEST_OPTIONS: expect.any(String) } });
    const password = await choose({ ANSWER: "PASSWORD", PASSWORD });
    expect(password.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
    const srp = await choose({ ANSWER: "PASSWORD_SRP", SRP_A: "ab12" });
    expect(srp).toMatchObject({ ChallengeName: "PASSWORD_VERIFIER", ChallengeParameters: { USER_ID_FOR_SRP: "pia", SALT: expect.any(String) } });
    const unknown = await pool.cognito.send(new InitiateAuthCommand({ ClientId: "web", AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "nobody-here" } }));
    expect(unknown.AvailableChallenges).toEqual(offered.AvailableChallenges);
  });

  it("answers refusals over the wire with __type and x-amzn-errortype", async () => {
    const refused = await call("InitiateAuth", { ClientId: "web", AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "pia", PREFERRED_CHALLENGE: "CARRIER_PIGEON" } });
    expect(refused).toMatchObject({ status: 400, type: "InvalidParameterException", header: "InvalidParameterException" });
    const notEnabled = await call("InitiateAuth", { ClientId: "plain", AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "sven", PREFERRED_CHALLENGE: "WEB_AUTHN" } });
    expect(notEnabled.body).toMatchObject({ ChallengeName: "SELECT_CHALLENGE", AvailableChallenges: ["PASSWORD", "PASSWORD_SRP"] });
    const badAnswer = await call("RespondToAuthChallenge", { ClientId: "plain", ChallengeName: "SELECT_CHALLENGE", Session: notEnabled.body["Session"], ChallengeResponses: { USERNAME: "sven", ANSWER: "WEB_AUTHN" } });
    expect(badAnswer).toMatchObject({ status: 400, type: "InvalidParameterException", header: "InvalidParameterException" });
    const nobody = await call("InitiateAuth", { ClientId: "web", AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "nobody@example.com", PREFERRED_CHALLENGE: "EMAIL_OTP" } });
    expect(nobody.body).toMatchObject({ ChallengeName: "EMAIL_OTP", ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: "EMAIL", CODE_DELIVERY_DESTINATION: "n***@e***" } });
    const guessed = await call("RespondToAuthChallenge", { ClientId: "web", ChallengeName: "EMAIL_OTP", Session: nobody.body["Session"], ChallengeResponses: { USERNAME: "nobody@example.com", EMAIL_OTP_CODE: "12345678" } });
    expect(guessed).toMatchObject({ status: 400, type: "CodeMismatchException" });
    const forged = await call("RespondToAuthChallenge", { ClientId: "web", ChallengeName: "WEB_AUTHN", Session: "bm90IGEgc2Vzc2lvbiBhdCBhbGwgYnV0IGxvbmcgZW5vdWdo", ChallengeResponses: { USERNAME: "pia", CREDENTIAL: "{}" } });
    expect(forged).toMatchObject({ status: 400, type: "NotAuthorizedException", header: "NotAuthorizedException" });
  });

  it("signs in once with the Session ConfirmSignUp answers, and refuses it again", async () => {
    await call("SignUp", { ClientId: "web", Username: "xena", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "xena@example.com" }] });
    const confirmed = await call("ConfirmSignUp", { ClientId: "web", Username: "xena", ConfirmationCode: await codeFromLog(pool.server.dataDir, "xena", "SIGN_UP") });
    expect(confirmed.body).toEqual({ Session: expect.any(String) });
    const withSession = { ClientId: "web", AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "xena" }, Session: confirmed.body["Session"] };
    const signedIn = await call("InitiateAuth", withSession);
    expect(signedIn.body["AuthenticationResult"]).toMatchObject({ AccessToken: expect.any(String), RefreshToken: expect.any(String) });
    expect(await call("InitiateAuth", withSession)).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: USED_ONCE } });
    const otherClient = await call("InitiateAuth", { ...withSession, ClientId: "other" });
    expect(otherClient.type).toBe("NotAuthorizedException");
  });

  it("refuses a SELECT_CHALLENGE Session presented again once a factor started, mailing no second code, and keeps it after a refused choice", async () => {
    const offered = await call("InitiateAuth", { ClientId: "web", AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "pia" } });
    const choose = (responses: Record<string, string>) =>
      call("RespondToAuthChallenge", { ClientId: "web", ChallengeName: "SELECT_CHALLENGE", Session: offered.body["Session"], ChallengeResponses: { USERNAME: "pia", ...responses } });
    expect(await choose({ ANSWER: "SMS_OTP" })).toMatchObject({ status: 400, type: "InvalidParameterException" });
    expect(await choose({ ANSWER: "PASSWORD" })).toMatchObject({ status: 400, type: "InvalidParameterException", body: { message: "Missing required parameter PASSWORD" } });
    const emailed = await choose({ ANSWER: "EMAIL_OTP" });
    expect(emailed.body["ChallengeName"]).toBe("EMAIL_OTP");
    const code = await codeFromLog(pool.server.dataDir, "pia", "EMAIL_OTP");
    for (const responses of [{ ANSWER: "EMAIL_OTP" }, { ANSWER: "PASSWORD", PASSWORD }, { ANSWER: "WEB_AUTHN" }] as Record<string, string>[]) {
      expect(await choose(responses)).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: USED_ONCE } });
    }
    // No second code was mailed: the one mailed first still signs in.
    expect(await codeFromLog(pool.server.dataDir, "pia", "EMAIL_OTP")).toBe(code);
    const answer = () => call("RespondToAuthChallenge", { ClientId: "web", ChallengeName: "EMAIL_OTP", Session: emailed.body["Session"], ChallengeResponses: { USERNAME: "pia", EMAIL_OTP_CODE: code } });
    expect((await answer()).body["AuthenticationResult"]).toMatchObject({ AccessToken: expect.any(String) });
    expect(await answer()).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: USED_ONCE } });
  });

  it("refuses a SELECT_CHALLENGE Session spent by a wrong password, as a wrong SRP answer spends its block", async () => {
    const offered = await call("InitiateAuth", { ClientId: "plain", AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "sven" } });
    const choose = (password: string) =>
      call("RespondToAuthChallenge", { ClientId: "plain", ChallengeName: "SELECT_CHALLENGE", Session: offered.body["Session"], ChallengeResponses: { USERNAME: "sven", ANSWER: "PASSWORD", PASSWORD: password } });
    expect(await choose("Wrong-horse-9")).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: "Incorrect username or password." } });
    expect(await choose(PASSWORD)).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: USED_ONCE } });
  });
});

describe("USER_AUTH through unmodified Amplify", { timeout: 30_000 }, () => {
  beforeAll(async () => {
    Amplify.configure({ Auth: { Cognito: { userPoolId: "local_passkeys", userPoolClientId: "web", userPoolEndpoint: `${pool.server.url}/aws/cognito-idp` } } });
    await signUpConfirmed("web", "uma");
  });

  it("signs in preferring PASSWORD_SRP, then PASSWORD, then choosing PASSWORD from the offered factors", async () => {
    const srp = await signIn({ username: "uma", password: PASSWORD, options: { authFlowType: "USER_AUTH", preferredChallenge: "PASSWORD_SRP" } });
    expect(srp).toMatchObject({ isSignedIn: true, nextStep: { signInStep: "DONE" } });
    expect((await fetchAuthSession()).tokens?.accessToken.payload["username"]).toBe("uma");
    await signOut();

    const password = await signIn({ username: "uma", password: PASSWORD, options: { authFlowType: "USER_AUTH", preferredChallenge: "PASSWORD" } });
    expect(password).toMatchObject({ isSignedIn: true, nextStep: { signInStep: "DONE" } });
    await signOut();

    const offered = await signIn({ username: "uma", options: { authFlowType: "USER_AUTH" } });
    expect(offered.nextStep).toEqual({ signInStep: "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION", availableChallenges: ["PASSWORD", "PASSWORD_SRP", "WEB_AUTHN", "EMAIL_OTP"] });
    const chosen = await confirmSignIn({ challengeResponse: "PASSWORD" });
    expect(chosen.nextStep.signInStep).toBe("CONFIRM_SIGN_IN_WITH_PASSWORD");
    const done = await confirmSignIn({ challengeResponse: PASSWORD });
    expect(done).toMatchObject({ isSignedIn: true, nextStep: { signInStep: "DONE" } });
    await signOut();
  });

  it("signs a new user in with autoSignIn after confirmSignUp, through USER_AUTH", async () => {
    const signedUp = await signUp({ username: "yara", password: PASSWORD, options: { userAttributes: { email: "yara@example.com" }, autoSignIn: { authFlowType: "USER_AUTH" } } });
    expect(signedUp.nextStep.signUpStep).toBe("CONFIRM_SIGN_UP");
    const confirmed = await confirmSignUp({ username: "yara", confirmationCode: (await codeFromLog(pool.server.dataDir, "yara", "SIGN_UP"))! });
    expect(confirmed.nextStep.signUpStep).toBe("COMPLETE_AUTO_SIGN_IN");
    expect(await autoSignIn()).toMatchObject({ isSignedIn: true, nextStep: { signInStep: "DONE" } });
    expect((await fetchAuthSession()).tokens?.accessToken.payload["username"]).toBe("yara");
    await signOut();
  });

  it("signs in with an emailed code as the first factor, preferred or chosen, without MFA", async () => {
    const preferred = await signIn({ username: "uma", options: { authFlowType: "USER_AUTH", preferredChallenge: "EMAIL_OTP" } });
    expect(preferred.nextStep).toMatchObject({ signInStep: "CONFIRM_SIGN_IN_WITH_EMAIL_CODE", codeDeliveryDetails: { deliveryMedium: "EMAIL", destination: "u***@e***" } });
    const wrong = await refusal(confirmSignIn({ challengeResponse: "00000000" === (await codeFromLog(pool.server.dataDir, "uma", "EMAIL_OTP")) ? "11111111" : "00000000" }));
    expect(wrong).toBe("CodeMismatchException");
    expect(await confirmSignIn({ challengeResponse: (await codeFromLog(pool.server.dataDir, "uma", "EMAIL_OTP"))! })).toMatchObject({ isSignedIn: true, nextStep: { signInStep: "DONE" } });
    await signOut();

    await signIn({ username: "uma", options: { authFlowType: "USER_AUTH" } });
    expect((await confirmSignIn({ challengeResponse: "EMAIL_OTP" })).nextStep.signInStep).toBe("CONFIRM_SIGN_IN_WITH_EMAIL_CODE");
    expect(await confirmSignIn({ challengeResponse: (await codeFromLog(pool.server.dataDir, "uma", "EMAIL_OTP"))! })).toMatchObject({ isSignedIn: true, nextStep: { signInStep: "DONE" } });
    await signOut();
  });

  // By PASSWORD: a wrong password's SRP refusal, through Amplify, is user-pool-amplify.test.ts's.
  it("refuses a wrong password in USER_AUTH as Cognito does", async () => {
    expect(await refusal(signIn({ username: "uma", password: "Wrong-horse-9", options: { authFlowType: "USER_AUTH", preferredChallenge: "PASSWORD" } }))).toBe("NotAuthorizedException");
  });
});
