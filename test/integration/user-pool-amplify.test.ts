/**
 * Unmodified Amplify (aws-amplify 6.22) against the built-in user pool, configured only with
 * `userPoolEndpoint` and `identityPoolEndpoint`, codes read from a real SMTP server: signUp ->
 * confirmSignUp -> signIn (SRP, Amplify's default) -> fetchAuthSession (tokens, identity id and
 * credentials from the linked identity pool `local:default`) -> fetchUserAttributes -> setUpTOTP /
 * verifyTOTPSetup -> updateMFAPreference -> signOut -> signIn answered with SOFTWARE_TOKEN_MFA ->
 * confirmSignIn with a TOTP code -> resetPassword / confirmResetPassword -> signOut({ global: true });
 * then the refresh token Amplify held is refused with NotAuthorizedException. Codes are computed
 * with otpauth from the secret Amplify hands out. Runs on SQLite and PostgreSQL.
 * Binds a port: Amplify sends its own HTTP requests to the endpoints it is configured with.
 */
import { Amplify } from "aws-amplify";
import {
  confirmResetPassword,
  confirmSignIn,
  confirmSignUp,
  fetchAuthSession,
  fetchMFAPreference,
  fetchUserAttributes,
  resetPassword,
  setUpTOTP,
  signIn,
  signOut,
  signUp,
  updateMFAPreference,
  verifyTOTPSetup,
} from "aws-amplify/auth";
import { cognitoUserPoolsTokenProvider } from "aws-amplify/auth/cognito";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAmplifyForThisFile } from "../helpers/amplify-reset.js";
import { startMailCatcher, type MailCatcher } from "../helpers/mail-catcher.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { callUserPool, totpCode, userPoolsConfig } from "../helpers/user-pool-clients.js";

/** Mails the SMTP server received, as text. */
let mails: string[] = [];
let smtp: MailCatcher | undefined;
let server: TestServer;

/** Amplify's token storage, kept here so the test can read the refresh token Amplify holds. */
const tokenStore = new Map<string, string>();

freshAmplifyForThisFile();
beforeAll(async () => {
  smtp = await startMailCatcher();
  mails = smtp.mails;
  server = await startTestServer({ config: { userPools: userPoolsConfig("http://user-pool.test", [{ id: "local_default" }], smtp.url) } });
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: "local_default",
        userPoolClientId: "default",
        identityPoolId: "local:default",
        userPoolEndpoint: `${server.url}/aws/cognito-idp`,
        identityPoolEndpoint: `${server.url}/aws/cognito-identity`,
        loginWith: { username: true, email: true },
        signUpVerificationMethod: "code",
      },
    },
  });
  cognitoUserPoolsTokenProvider.setKeyValueStorage({
    setItem: async (key, value) => void tokenStore.set(key, value),
    getItem: async (key) => tokenStore.get(key) ?? null,
    removeItem: async (key) => void tokenStore.delete(key),
    clear: async () => tokenStore.clear(),
  });
});
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

/** The code in the newest mail to `to` with `subject`, waiting for the mail to arrive. */
async function mailedCode(to: string, subject: string, after: number): Promise<string> {
  await expect.poll(() => mails.slice(after).some((mail) => mail.includes(to) && mail.includes(subject)), { timeout: 15_000 }).toBe(true);
  const mail = mails.slice(after).filter((text) => text.includes(to) && text.includes(subject)).at(-1)!;
  return /is (\d{6})/.exec(mail)![1]!;
}

describe("user pool through unmodified Amplify", { timeout: 60_000 }, () => {
  it("signs up, confirms, signs in with SRP, gets identity credentials, sets up TOTP and signs in with it, resets the password and signs out everywhere", async () => {
    const password = "Correct-horse-9";
    let seen = mails.length;
    const signedUp = await signUp({ username: "amy", password, options: { userAttributes: { email: "amy@example.com" } } });
    expect(signedUp.nextStep.signUpStep).toBe("CONFIRM_SIGN_UP");
    const confirmed = await confirmSignUp({ username: "amy", confirmationCode: await mailedCode("amy@example.com", "Your verification code", seen) });
    expect(confirmed.isSignUpComplete).toBe(true);

    const signedIn = await signIn({ username: "amy", password });
    expect(signedIn).toMatchObject({ isSignedIn: true, nextStep: { signInStep: "DONE" } });
    const session = await fetchAuthSession();
    expect(session.tokens?.idToken?.payload).toMatchObject({ "cognito:username": "amy", iss: "http://user-pool.test/aws/cognito-idp/local_default" });
    expect(session.identityId).toMatch(/^local:/);
    expect(session.credentials).toMatchObject({ accessKeyId: expect.any(String), secretAccessKey: expect.any(String), sessionToken: expect.any(String) });
    expect(await fetchUserAttributes()).toMatchObject({ email: "amy@example.com", email_verified: "true", sub: session.userSub });

    const totpSetup = await setUpTOTP();
    expect(totpSetup.sharedSecret).toMatch(/^[A-Z2-7]{32}$/);
    expect(totpSetup.getSetupUri("syncpool").href).toContain(`secret=${totpSetup.sharedSecret}`);
    await verifyTOTPSetup({ code: totpCode(totpSetup.sharedSecret, Date.now()), options: { friendlyDeviceName: "amy's phone" } });
    await updateMFAPreference({ totp: "PREFERRED" });
    expect(await fetchMFAPreference()).toEqual({ enabled: ["TOTP"], preferred: "TOTP" });
    await signOut();

    const challenged = await signIn({ username: "amy", password });
    expect(challenged).toMatchObject({ isSignedIn: false, nextStep: { signInStep: "CONFIRM_SIGN_IN_WITH_TOTP_CODE" } });
    // The code of the next 30-second step: the one that verified the set-up may not be used again.
    const mfaSignedIn = await confirmSignIn({ challengeResponse: totpCode(totpSetup.sharedSecret, Date.now() + 30_000) });
    expect(mfaSignedIn).toMatchObject({ isSignedIn: true, nextStep: { signInStep: "DONE" } });
    expect((await fetchAuthSession()).tokens?.accessToken.payload).toMatchObject({ username: "amy", token_use: "access" });

    seen = mails.length;
    const reset = await resetPassword({ username: "amy" });
    expect(reset.nextStep.resetPasswordStep).toBe("CONFIRM_RESET_PASSWORD_WITH_CODE");
    const newPassword = "Second-horse-7";
    await confirmResetPassword({ username: "amy", newPassword, confirmationCode: await mailedCode("amy@example.com", "Your password reset code", seen) });

    const heldRefreshToken = [...tokenStore.entries()].find(([key]) => key.endsWith(".refreshToken"))?.[1];
    expect(heldRefreshToken).toBeDefined();
    await signOut({ global: true });
    const refused = await callUserPool(fetch, server.url, "GetTokensFromRefreshToken", { ClientId: "default", RefreshToken: heldRefreshToken });
    expect([refused.status, refused.type, refused.header]).toEqual([400, "NotAuthorizedException", "NotAuthorizedException"]);

    // The new password works (and is asked for the TOTP code next) and the old one does not.
    await expect(signIn({ username: "amy", password })).rejects.toMatchObject({ name: "NotAuthorizedException" });
    await expect(signIn({ username: "amy", password: newPassword })).resolves.toMatchObject({ isSignedIn: false, nextStep: { signInStep: "CONFIRM_SIGN_IN_WITH_TOTP_CODE" } });
  });
});
