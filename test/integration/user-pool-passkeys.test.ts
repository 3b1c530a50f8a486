/**
 * Passkeys of the built-in user pool, through the real `@aws-sdk/client-cognito-identity-provider`
 * and a software authenticator (`test/helpers/webauthn-authenticator.ts`): register -> sign in with
 * WEB_AUTHN -> list -> delete -> sign-in refused; MFA after a password factor but not after a
 * passkey, and GetUserAuthFactors; the refusals with Cognito's exception names (replayed
 * assertion, a Session presented again refused as used once, wrong origin, another relying party, unknown credential, expired challenges, another
 * app client); the pre authentication trigger; the limit of 20 passkeys a user.
 * Choice-based sign-in (SELECT_CHALLENGE, EMAIL_OTP) is `user-pool-user-auth.test.ts`.
 * The pools and the server's movable clock are `test/helpers/passkey-pool.ts`'s.
 * Binds a port: the SDK sends its own HTTP requests.
 */
import {
  CompleteWebAuthnRegistrationCommand,
  DeleteWebAuthnCredentialCommand,
  InitiateAuthCommand,
  ListWebAuthnCredentialsCommand,
  StartWebAuthnRegistrationCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { describe, expect, it } from "vitest";
import { ORIGIN, PASSWORD, passkeyPoolForThisFile, refusal, requestOptions } from "../helpers/passkey-pool.js";
import { totpCode } from "../helpers/user-pool-clients.js";
import { SoftwareAuthenticator } from "../helpers/webauthn-authenticator.js";

const pool = passkeyPoolForThisFile();
const { call, signUpConfirmed, accessTokenOf, register, passkeyChallenge, answerPasskey } = pool;

describe("user-pool passkeys through the AWS SDK", { timeout: 30_000 }, () => {
  const authenticator = new SoftwareAuthenticator(ORIGIN);

  it("registers a passkey, signs in with it, lists it, deletes it, and then refuses it", async () => {
    await signUpConfirmed("web", "pia");
    const accessToken = await accessTokenOf("web", "pia");
    const started = await pool.cognito.send(new StartWebAuthnRegistrationCommand({ AccessToken: accessToken }));
    expect(started.CredentialCreationOptions).toMatchObject({
      rp: { id: "passkeys.test", name: "local_passkeys" },
      user: { name: "pia", displayName: "pia@example.com" },
      challenge: expect.stringMatching(/^[\w-]{32,}$/),
      pubKeyCredParams: expect.arrayContaining([{ alg: -7, type: "public-key" }]),
      authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
      attestation: "none",
    });
    await pool.cognito.send(new CompleteWebAuthnRegistrationCommand({ AccessToken: accessToken, Credential: authenticator.create(started.CredentialCreationOptions) as never }));

    const challenge = await passkeyChallenge("pia");
    expect(challenge.ChallengeName).toBe("WEB_AUTHN");
    expect(requestOptions(challenge)).toMatchObject({ rpId: "passkeys.test", allowCredentials: [{ id: authenticator.credentialId, type: "public-key" }], userVerification: "preferred" });
    const signedIn = await answerPasskey(challenge, "pia", authenticator.get(requestOptions(challenge)));
    expect(signedIn.AuthenticationResult).toMatchObject({ AccessToken: expect.any(String), IdToken: expect.any(String), RefreshToken: expect.any(String) });

    const listed = await pool.cognito.send(new ListWebAuthnCredentialsCommand({ AccessToken: signedIn.AuthenticationResult!.AccessToken }));
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
    const stored = await pool.server.storage.userPools.getWebAuthnCredential("local_passkeys", authenticator.credentialId);
    expect(stored?.signCount).toBe(1);

    await pool.cognito.send(new DeleteWebAuthnCredentialCommand({ AccessToken: accessToken, CredentialId: authenticator.credentialId }));
    expect((await pool.cognito.send(new ListWebAuthnCredentialsCommand({ AccessToken: accessToken }))).Credentials).toEqual([]);
    const after = await passkeyChallenge("pia");
    expect(requestOptions(after).allowCredentials).toEqual([]);
    expect(await refusal(answerPasskey(after, "pia", authenticator.get(requestOptions(after))))).toBe("NotAuthorizedException");
    expect(await refusal(pool.cognito.send(new DeleteWebAuthnCredentialCommand({ AccessToken: accessToken, CredentialId: authenticator.credentialId })))).toBe("ResourceNotFoundException");
  });

  it("asks for TOTP after a password factor but not after a passkey", async () => {
    await signUpConfirmed("web", "quinn");
    const accessToken = await accessTokenOf("web", "quinn");
    const associated = await call("AssociateSoftwareToken", { AccessToken: accessToken });
    const verified = await call("VerifySoftwareToken", { AccessToken: accessToken, UserCode: totpCode(associated.body["SecretCode"], Date.now() + pool.skewMs) });
    expect(verified.body).toMatchObject({ Status: "SUCCESS" });
    await call("SetUserMFAPreference", { AccessToken: accessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } });
    const quinnKey = new SoftwareAuthenticator(ORIGIN);
    await register(quinnKey, accessToken);

    const password = await pool.cognito.send(new InitiateAuthCommand({ ClientId: "web", AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: "quinn", PREFERRED_CHALLENGE: "PASSWORD", PASSWORD } }));
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
    const startRegistration = async () => (await pool.cognito.send(new StartWebAuthnRegistrationCommand({ AccessToken: accessToken }))).CredentialCreationOptions;
    const complete = (credential: unknown, token = accessToken) => refusal(pool.cognito.send(new CompleteWebAuthnRegistrationCommand({ AccessToken: token, Credential: credential as never })));

    const refusedRegistrations: Record<string, string> = {};
    refusedRegistrations["wrong origin"] = await complete(key.create(await startRegistration(), { origin: "https://evil.example" }));
    refusedRegistrations["another relying party"] = await complete(key.create(await startRegistration(), { rpId: "evil.example" }));
    const expiring = await startRegistration();
    pool.skewMs += 6 * 60_000;
    refusedRegistrations["expired challenge"] = await complete(key.create(expiring));
    pool.skewMs -= 6 * 60_000;
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
    refusedRegistrations["pool without passkeys"] = await refusal(pool.cognito.send(new StartWebAuthnRegistrationCommand({ AccessToken: plainToken })));
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
    pool.skewMs += 4 * 60_000;
    refusedSignIns["expired challenge"] = await refusal(answerPasskey(expiring2, "rhea", key.get(requestOptions(expiring2))));
    pool.skewMs -= 4 * 60_000;
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

  it("refuses a passkey Session presented again after its answer, signed in or refused, as used once, and one a newer sign-in replaced as expired", async () => {
    await signUpConfirmed("web", "pavo");
    const key = new SoftwareAuthenticator(ORIGIN);
    await register(key, await accessTokenOf("web", "pavo"));
    const respond = (challenge: { Session?: string }, credential: unknown) =>
      call("RespondToAuthChallenge", { ClientId: "web", ChallengeName: "WEB_AUTHN", Session: challenge.Session, ChallengeResponses: { USERNAME: "pavo", CREDENTIAL: JSON.stringify(credential) } });
    const usedOnce = { status: 400, type: "NotAuthorizedException", body: { message: "Invalid session for the user, session can only be used once." } };

    const signedIn = await passkeyChallenge("pavo");
    const assertion = key.get(requestOptions(signedIn));
    expect((await respond(signedIn, assertion)).body["AuthenticationResult"]).toMatchObject({ AccessToken: expect.any(String) });
    expect(await respond(signedIn, assertion)).toMatchObject(usedOnce);
    expect(await respond(signedIn, key.get(requestOptions(signedIn)))).toMatchObject(usedOnce);

    // An assertion the server refuses spends its Session too: the answer is taken before it is checked.
    const refused = await passkeyChallenge("pavo");
    expect(await respond(refused, new SoftwareAuthenticator(ORIGIN).get(requestOptions(refused)))).toMatchObject({ type: "NotAuthorizedException", body: { message: "Incorrect username or passkey." } });
    expect(await respond(refused, key.get(requestOptions(refused)))).toMatchObject(usedOnce);

    const replaced = await passkeyChallenge("pavo");
    await passkeyChallenge("pavo");
    expect(await respond(replaced, key.get(requestOptions(replaced)))).toMatchObject({ status: 400, type: "NotAuthorizedException", body: { message: "Invalid session for the user, session is expired." } });
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
    const firstPage = await pool.cognito.send(new ListWebAuthnCredentialsCommand({ AccessToken: accessToken, MaxResults: 15 }));
    expect(firstPage.Credentials).toHaveLength(15);
    const secondPage = await pool.cognito.send(new ListWebAuthnCredentialsCommand({ AccessToken: accessToken, MaxResults: 15, NextToken: firstPage.NextToken }));
    expect(secondPage.Credentials).toHaveLength(5);
    expect(new Set([...firstPage.Credentials!, ...secondPage.Credentials!].map((credential) => credential.CredentialId)).size).toBe(20);
    expect(await refusal(pool.cognito.send(new StartWebAuthnRegistrationCommand({ AccessToken: accessToken })))).toBe("LimitExceededException");
  });
});
