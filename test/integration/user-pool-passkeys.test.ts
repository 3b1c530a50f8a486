/**
 * Passkeys and choice-based sign-in (USER_AUTH) of the built-in user pool, through the real
 * `@aws-sdk/client-cognito-identity-provider` and a software authenticator
 * (`test/helpers/webauthn-authenticator.ts`): register -> sign in with WEB_AUTHN -> list -> delete
 * -> sign-in refused; SELECT_CHALLENGE and its answers; MFA after a password factor but not after a
 * passkey, and GetUserAuthFactors; EMAIL_OTP as a first factor; the refusals with Cognito's exception names (replayed assertion, wrong origin, another
 * relying party, unknown credential, expired challenges, another app client). Then unmodified
 * Amplify's `signIn` with USER_AUTH, preferring PASSWORD_SRP and PASSWORD, and choosing a factor.
 * The server's clock is `Date.now()` plus a skew the test moves, so challenges can expire.
 * Binds a port: the SDK and Amplify send their own HTTP requests.
 */
import {
  CognitoIdentityProviderClient,
  CompleteWebAuthnRegistrationCommand,
  DeleteWebAuthnCredentialCommand,
  InitiateAuthCommand,
  ListWebAuthnCredentialsCommand,
  RespondToAuthChallengeCommand,
  StartWebAuthnRegistrationCommand,
  type InitiateAuthCommandOutput,
} from "@aws-sdk/client-cognito-identity-provider";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { Amplify } from "aws-amplify";
import { autoSignIn, confirmSignIn, confirmSignUp, fetchAuthSession, signIn, signOut, signUp } from "aws-amplify/auth";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAmplifyForThisFile } from "../helpers/amplify-reset.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { callUserPool, codeFromLog, totpCode, userPoolsConfig } from "../helpers/user-pool-clients.js";
import { writeTriggerModules } from "../helpers/user-pool-trigger-modules.js";
import { SoftwareAuthenticator } from "../helpers/webauthn-authenticator.js";

const PASSWORD = "Correct-horse-9";
const ORIGIN = "https://app.passkeys.test";
let server: TestServer;
let cognito: CognitoIdentityProviderClient;
let skewMs = 0;
const call = (operation: string, body: unknown) => callUserPool((path, init) => fetch(`${server.url}${path}`, init), "", operation, body);

freshAmplifyForThisFile();
beforeAll(async () => {
  const pools = [
    {
      id: "local_passkeys",
      clients: [{ id: "web" }, { id: "other" }],
      signInPolicy: { allowedFirstAuthFactors: ["PASSWORD" as const, "WEB_AUTHN" as const, "EMAIL_OTP" as const] },
      // Refuses users whose custom:banned is "yes", before any factor.
      triggers: { preAuthentication: join(writeTriggerModules(), "pre-authentication.mjs") },
    },
    { id: "local_passwords", clients: [{ id: "plain" }] },
  ];
  server = await startTestServer({ now: () => Date.now() + skewMs, config: { userPools: userPoolsConfig("https://passkeys.test", pools) } });
  cognito = new CognitoIdentityProviderClient({ region: "local", endpoint: `${server.url}/aws/cognito-idp`, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
});
afterAll(async () => {
  cognito?.destroy();
  await server?.close();
});

async function signUpConfirmed(clientId: string, username: string): Promise<void> {
  await call("SignUp", { ClientId: clientId, Username: username, Password: PASSWORD, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] });
  await call("ConfirmSignUp", { ClientId: clientId, Username: username, ConfirmationCode: await codeFromLog(server.dataDir, username, "SIGN_UP") });
}

async function accessTokenOf(clientId: string, username: string): Promise<string> {
  const signedIn = await cognito.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: username, PREFERRED_CHALLENGE: "PASSWORD", PASSWORD } }));
  return signedIn.AuthenticationResult!.AccessToken!;
}

async function register(authenticator: SoftwareAuthenticator, accessToken: string): Promise<void> {
  const started = await cognito.send(new StartWebAuthnRegistrationCommand({ AccessToken: accessToken }));
  await cognito.send(new CompleteWebAuthnRegistrationCommand({ AccessToken: accessToken, Credential: authenticator.create(started.CredentialCreationOptions) as never }));
}

const passkeyChallenge = (username: string, clientId = "web") =>
  cognito.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: username, PREFERRED_CHALLENGE: "WEB_AUTHN" } }));

const answerPasskey = (challenge: InitiateAuthCommandOutput, username: string, credential: unknown) =>
  cognito.send(new RespondToAuthChallengeCommand({ ClientId: "web", ChallengeName: "WEB_AUTHN", Session: challenge.Session, ChallengeResponses: { USERNAME: username, CREDENTIAL: JSON.stringify(credential) } }));

const requestOptions = (challenge: InitiateAuthCommandOutput) => JSON.parse(challenge.ChallengeParameters!["CREDENTIAL_REQUEST_OPTIONS"]!);

/** The exception name a call was refused with, or "no error". */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "no error";
  } catch (error) {
    return (error as { name: string }).name;
  }
}

describe("user-pool passkeys through the AWS SDK", { timeout: 30_000 }, () => {
  const authenticator = new SoftwareAuthenticator(ORIGIN);

  it("registers a passkey, signs in with it, lists it, deletes it, and then refuses it", async () => {
    await signUpConfirmed("web", "pia");
    const accessToken = await accessTokenOf("web", "pia");
    const started = await cognito.send(new StartWebAuthnRegistrationCommand({ AccessToken: accessToken }));
    expect(started.CredentialCreationOptions).toMatchObject({
      rp: { id: "passkeys.test", name: "local_passkeys" },
      user: { name: "pia", displayName: "pia@example.com" },
      challenge: expect.stringMatching(/^[\w-]{32,}$/),
      pubKeyCredParams: expect.arrayContaining([{ alg: -7, type: "public-key" }]),
      authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
      attestation: "none",
    });
    await cognito.send(new CompleteWebAuthnRegistrationCommand({ AccessToken: accessToken, Credential: authenticator.create(started.CredentialCreationOptions) as never }));

    const challenge = await passkeyChallenge("pia");
    expect(challenge.ChallengeName).toBe("WEB_AUTHN");
    expect(requestOptions(challenge)).toMatchObject({ rpId: "passkeys.test", allowCredentials: [{ id: authenticator.credentialId, type: "public-key" }], userVerification: "preferred" });
    const signedIn = await answerPasskey(challenge, "pia", authenticator.get(requestOptions(challenge)));
    expect(signedIn.AuthenticationResult).toMatchObject({ AccessToken: expect.any(String), IdToken: expect.any(String), RefreshToken: expect.any(String) });

    const listed = await cognito.send(new ListWebAuthnCredentialsCommand({ AccessToken: signedIn.AuthenticationResult!.AccessToken }));
    expect(listed.Credentials).toEqual([
      {
        CredentialId: authenticator.credentialId,
        FriendlyCredentialName: "Passkey",
        RelyingPartyId: "passkeys.test",
        AuthenticatorAttachment: "platform",
        AuthenticatorTransports: ["internal", "hybrid"],
        CreatedAt: expect.any(Date),
      },
    ]);
    expect(Math.abs(listed.Credentials![0]!.CreatedAt!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(listed.NextToken).toBeUndefined();
    const stored = await server.storage.userPools.getWebAuthnCredential("local_passkeys", authenticator.credentialId);
    expect(stored?.signCount).toBe(1);

    await cognito.send(new DeleteWebAuthnCredentialCommand({ AccessToken: accessToken, CredentialId: authenticator.credentialId }));
    expect((await cognito.send(new ListWebAuthnCredentialsCommand({ AccessToken: accessToken }))).Credentials).toEqual([]);
    const after = await passkeyChallenge("pia");
    expect(requestOptions(after).allowCredentials).toEqual([]);
    expect(await refusal(answerPasskey(after, "pia", authenticator.get(requestOptions(after))))).toBe("NotAuthorizedException");
    expect(await refusal(cognito.send(new DeleteWebAuthnCredentialCommand({ AccessToken: accessToken, CredentialId: authenticator.credentialId })))).toBe("ResourceNotFoundException");
  });

  it("offers SELECT_CHALLENGE without a preference, and starts the chosen factor", async () => {
    const offered = await cognito.send(new InitiateAuthCommand({ ClientId: "web", AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "pia" } }));
    expect(offered).toMatchObject({ ChallengeName: "SELECT_CHALLENGE", AvailableChallenges: ["PASSWORD", "PASSWORD_SRP", "WEB_AUTHN", "EMAIL_OTP"], Session: expect.any(String) });
    const passkey = await cognito.send(
      new RespondToAuthChallengeCommand({ ClientId: "web", ChallengeName: "SELECT_CHALLENGE", Session: offered.Session, ChallengeResponses: { USERNAME: "pia", ANSWER: "WEB_AUTHN" } }),
    );
    expect(passkey).toMatchObject({ ChallengeName: "WEB_AUTHN", ChallengeParameters: { CREDENTIAL_REQUEST_OPTIONS: expect.any(String) } });
    const password = await cognito.send(
      new RespondToAuthChallengeCommand({ ClientId: "web", ChallengeName: "SELECT_CHALLENGE", Session: offered.Session, ChallengeResponses: { USERNAME: "pia", ANSWER: "PASSWORD", PASSWORD } }),
    );
    expect(password.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
    const srp = await cognito.send(
      new RespondToAuthChallengeCommand({ ClientId: "web", ChallengeName: "SELECT_CHALLENGE", Session: offered.Session, ChallengeResponses: { USERNAME: "pia", ANSWER: "PASSWORD_SRP", SRP_A: "ab12" } }),
    );
    expect(srp).toMatchObject({ ChallengeName: "PASSWORD_VERIFIER", ChallengeParameters: { USER_ID_FOR_SRP: "pia", SALT: expect.any(String) } });
    const unknown = await cognito.send(new InitiateAuthCommand({ ClientId: "web", AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "nobody-here" } }));
    expect(unknown.AvailableChallenges).toEqual(offered.AvailableChallenges);
  });

  it("asks for TOTP after a password factor but not after a passkey", async () => {
    await signUpConfirmed("web", "quinn");
    const accessToken = await accessTokenOf("web", "quinn");
    const associated = await call("AssociateSoftwareToken", { AccessToken: accessToken });
    const verified = await call("VerifySoftwareToken", { AccessToken: accessToken, UserCode: totpCode(associated.body["SecretCode"], Date.now() + skewMs) });
    expect(verified.body).toMatchObject({ Status: "SUCCESS" });
    await call("SetUserMFAPreference", { AccessToken: accessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } });
    const quinnKey = new SoftwareAuthenticator(ORIGIN);
    await register(quinnKey, accessToken);

    const password = await cognito.send(new InitiateAuthCommand({ ClientId: "web", AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "quinn", PREFERRED_CHALLENGE: "PASSWORD", PASSWORD } }));
    expect(password.ChallengeName).toBe("SOFTWARE_TOKEN_MFA");
    const challenge = await passkeyChallenge("quinn@example.com");
    const signedIn = await answerPasskey(challenge, "quinn", quinnKey.get(requestOptions(challenge)));
    expect(signedIn.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
    const factors = await call("GetUserAuthFactors", { AccessToken: signedIn.AuthenticationResult!.AccessToken });
    expect(factors.body).toEqual({
      Username: "quinn",
      PreferredMfaSetting: "SOFTWARE_TOKEN_MFA",
      UserMFASettingList: ["SOFTWARE_TOKEN_MFA"],
      ConfiguredUserAuthFactors: ["PASSWORD", "SOFTWARE_TOKEN", "EMAIL_OTP", "WEB_AUTHN"],
    });
  });

  it("refuses bad registrations and assertions with Cognito's exception names", async () => {
    await signUpConfirmed("web", "rhea");
    const accessToken = await accessTokenOf("web", "rhea");
    const key = new SoftwareAuthenticator(ORIGIN);
    const startRegistration = async () => (await cognito.send(new StartWebAuthnRegistrationCommand({ AccessToken: accessToken }))).CredentialCreationOptions;
    const complete = (credential: unknown, token = accessToken) => refusal(cognito.send(new CompleteWebAuthnRegistrationCommand({ AccessToken: token, Credential: credential as never })));

    const refusedRegistrations: Record<string, string> = {};
    refusedRegistrations["wrong origin"] = await complete(key.create(await startRegistration(), { origin: "https://evil.example" }));
    refusedRegistrations["another relying party"] = await complete(key.create(await startRegistration(), { rpId: "evil.example" }));
    const expiring = await startRegistration();
    skewMs += 6 * 60_000;
    refusedRegistrations["expired challenge"] = await complete(key.create(expiring));
    skewMs -= 6 * 60_000;
    const replaced = await startRegistration();
    await startRegistration();
    refusedRegistrations["challenge a newer one replaced"] = await complete(key.create(replaced));
    const otherClientToken = await accessTokenOf("other", "rhea");
    refusedRegistrations["another app client"] = await complete(key.create(await startRegistration()), otherClientToken);
    const once = await startRegistration();
    refusedRegistrations["first answer"] = await complete(key.create(once));
    refusedRegistrations["same answer again"] = await complete(key.create(once));
    refusedRegistrations["not a credential"] = await complete({ id: "x" });
    const plainToken = await (async () => {
      await signUpConfirmed("plain", "sven");
      return (await call("InitiateAuth", { ClientId: "plain", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "sven", PASSWORD } })).body["AuthenticationResult"]["AccessToken"] as string;
    })();
    refusedRegistrations["pool without passkeys"] = await refusal(cognito.send(new StartWebAuthnRegistrationCommand({ AccessToken: plainToken })));
    expect(refusedRegistrations).toEqual({
      "wrong origin": "WebAuthnOriginNotAllowedException",
      "another relying party": "WebAuthnRelyingPartyMismatchException",
      "expired challenge": "WebAuthnChallengeNotFoundException",
      "challenge a newer one replaced": "WebAuthnChallengeNotFoundException",
      "another app client": "WebAuthnClientMismatchException",
      "first answer": "no error",
      "same answer again": "WebAuthnChallengeNotFoundException",
      "not a credential": "InvalidParameterException",
      "pool without passkeys": "WebAuthnNotEnabledException",
    });

    const refusedSignIns: Record<string, string> = {};
    const challenge = await passkeyChallenge("rhea");
    const assertion = key.get(requestOptions(challenge));
    refusedSignIns["first assertion"] = await refusal(answerPasskey(challenge, "rhea", assertion));
    refusedSignIns["replayed assertion"] = await refusal(answerPasskey(challenge, "rhea", assertion));
    const next = await passkeyChallenge("rhea");
    refusedSignIns["replayed assertion under a new challenge"] = await refusal(answerPasskey(next, "rhea", assertion));
    const stale = await passkeyChallenge("rhea");
    refusedSignIns["counter that did not grow"] = await refusal(answerPasskey(stale, "rhea", key.get(requestOptions(stale), { counterStep: 0 })));
    const wrongOrigin = await passkeyChallenge("rhea");
    refusedSignIns["wrong origin"] = await refusal(answerPasskey(wrongOrigin, "rhea", key.get(requestOptions(wrongOrigin), { origin: "https://evil.example" })));
    const wrongParty = await passkeyChallenge("rhea");
    refusedSignIns["another relying party"] = await refusal(answerPasskey(wrongParty, "rhea", key.get(requestOptions(wrongParty), { rpId: "evil.example" })));
    const unknownKey = await passkeyChallenge("rhea");
    refusedSignIns["unknown credential"] = await refusal(answerPasskey(unknownKey, "rhea", new SoftwareAuthenticator(ORIGIN).get(requestOptions(unknownKey))));
    const otherUser = await passkeyChallenge("rhea");
    const namingSomeoneElse = key.get(requestOptions(otherUser));
    namingSomeoneElse.response.userHandle = Buffer.from("sub-of-someone-else").toString("base64url");
    refusedSignIns["assertion naming another user"] = await refusal(answerPasskey(otherUser, "rhea", namingSomeoneElse));
    const expiring2 = await passkeyChallenge("rhea");
    skewMs += 4 * 60_000;
    refusedSignIns["expired challenge"] = await refusal(answerPasskey(expiring2, "rhea", key.get(requestOptions(expiring2))));
    skewMs -= 4 * 60_000;
    const nobody = await passkeyChallenge("nobody-here");
    refusedSignIns["user who does not exist"] = await refusal(answerPasskey(nobody, "nobody-here", key.get(requestOptions(nobody))));
    const fine = await passkeyChallenge("rhea");
    refusedSignIns["honest assertion after all that"] = await refusal(answerPasskey(fine, "rhea", key.get(requestOptions(fine))));
    expect(refusedSignIns).toEqual({
      "first assertion": "no error",
      "replayed assertion": "NotAuthorizedException",
      "replayed assertion under a new challenge": "NotAuthorizedException",
      "counter that did not grow": "NotAuthorizedException",
      "wrong origin": "WebAuthnOriginNotAllowedException",
      "another relying party": "WebAuthnRelyingPartyMismatchException",
      "unknown credential": "NotAuthorizedException",
      "assertion naming another user": "NotAuthorizedException",
      "expired challenge": "NotAuthorizedException",
      "user who does not exist": "NotAuthorizedException",
      "honest assertion after all that": "no error",
    });
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
    const confirmed = await call("ConfirmSignUp", { ClientId: "web", Username: "xena", ConfirmationCode: await codeFromLog(server.dataDir, "xena", "SIGN_UP") });
    expect(confirmed.body).toEqual({ Session: expect.any(String) });
    const withSession = { ClientId: "web", AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "xena" }, Session: confirmed.body["Session"] };
    const signedIn = await call("InitiateAuth", withSession);
    expect(signedIn.body["AuthenticationResult"]).toMatchObject({ AccessToken: expect.any(String), RefreshToken: expect.any(String) });
    expect(await call("InitiateAuth", withSession)).toMatchObject({ status: 400, type: "NotAuthorizedException" });
    const otherClient = await call("InitiateAuth", { ...withSession, ClientId: "other" });
    expect(otherClient.type).toBe("NotAuthorizedException");
  });

  it("runs the pool's pre authentication trigger before a passkey sign-in, which it may refuse", async () => {
    await signUpConfirmed("web", "wade");
    const accessToken = await accessTokenOf("web", "wade");
    const key = new SoftwareAuthenticator(ORIGIN);
    await register(key, accessToken);
    await call("UpdateUserAttributes", { AccessToken: accessToken, UserAttributes: [{ Name: "custom:banned", Value: "yes" }] });
    expect(await refusal(passkeyChallenge("wade"))).toBe("UserLambdaValidationException");
  });

  it("limits a user to 20 passkeys", async () => {
    await signUpConfirmed("web", "tess");
    const accessToken = await accessTokenOf("web", "tess");
    for (let index = 0; index < 20; index += 1) await register(new SoftwareAuthenticator(ORIGIN), accessToken);
    const firstPage = await cognito.send(new ListWebAuthnCredentialsCommand({ AccessToken: accessToken, MaxResults: 15 }));
    expect(firstPage.Credentials).toHaveLength(15);
    const secondPage = await cognito.send(new ListWebAuthnCredentialsCommand({ AccessToken: accessToken, MaxResults: 15, NextToken: firstPage.NextToken }));
    expect(secondPage.Credentials).toHaveLength(5);
    expect(new Set([...firstPage.Credentials!, ...secondPage.Credentials!].map((credential) => credential.CredentialId)).size).toBe(20);
    expect(await refusal(cognito.send(new StartWebAuthnRegistrationCommand({ AccessToken: accessToken })))).toBe("LimitExceededException");
  });
});

describe("USER_AUTH through unmodified Amplify", { timeout: 30_000 }, () => {
  beforeAll(async () => {
    Amplify.configure({ Auth: { Cognito: { userPoolId: "local_passkeys", userPoolClientId: "web", userPoolEndpoint: `${server.url}/aws/cognito-idp` } } });
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
    const confirmed = await confirmSignUp({ username: "yara", confirmationCode: (await codeFromLog(server.dataDir, "yara", "SIGN_UP"))! });
    expect(confirmed.nextStep.signUpStep).toBe("COMPLETE_AUTO_SIGN_IN");
    expect(await autoSignIn()).toMatchObject({ isSignedIn: true, nextStep: { signInStep: "DONE" } });
    expect((await fetchAuthSession()).tokens?.accessToken.payload["username"]).toBe("yara");
    await signOut();
  });

  it("signs in with an emailed code as the first factor, preferred or chosen, without MFA", async () => {
    const preferred = await signIn({ username: "uma", options: { authFlowType: "USER_AUTH", preferredChallenge: "EMAIL_OTP" } });
    expect(preferred.nextStep).toMatchObject({ signInStep: "CONFIRM_SIGN_IN_WITH_EMAIL_CODE", codeDeliveryDetails: { deliveryMedium: "EMAIL", destination: "u***@e***" } });
    const wrong = await refusal(confirmSignIn({ challengeResponse: "00000000" === (await codeFromLog(server.dataDir, "uma", "EMAIL_OTP")) ? "11111111" : "00000000" }));
    expect(wrong).toBe("CodeMismatchException");
    expect(await confirmSignIn({ challengeResponse: (await codeFromLog(server.dataDir, "uma", "EMAIL_OTP"))! })).toMatchObject({ isSignedIn: true, nextStep: { signInStep: "DONE" } });
    await signOut();

    await signIn({ username: "uma", options: { authFlowType: "USER_AUTH" } });
    expect((await confirmSignIn({ challengeResponse: "EMAIL_OTP" })).nextStep.signInStep).toBe("CONFIRM_SIGN_IN_WITH_EMAIL_CODE");
    expect(await confirmSignIn({ challengeResponse: (await codeFromLog(server.dataDir, "uma", "EMAIL_OTP"))! })).toMatchObject({ isSignedIn: true, nextStep: { signInStep: "DONE" } });
    await signOut();
  });

  it("refuses a wrong password in USER_AUTH as Cognito does", async () => {
    expect(await refusal(signIn({ username: "uma", password: "Wrong-horse-9", options: { authFlowType: "USER_AUTH", preferredChallenge: "PASSWORD_SRP" } }))).toBe("NotAuthorizedException");
  });
});
