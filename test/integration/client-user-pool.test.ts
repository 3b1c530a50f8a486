/**
 * `syncpool/client/user-pool` against the real server over HTTP, codes read from a real SMTP
 * server: sign up, confirm with the mailed code, sign in with USER_PASSWORD_AUTH and sync a
 * dataset as the user's identity; a TOTP user's sign-in step answered with `confirmSignIn`; and a
 * guest on the device keeping its identity id and datasets when it signs up and in (issue #17, item 8).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userPoolAuth, type UserPoolAuth } from "../../client/user-pool/index.js";
import type { SyncClient } from "../../client/index.js";
import { TestNetwork } from "../helpers/client-network.js";
import { startMailCatcher, type MailCatcher } from "../helpers/mail-catcher.js";
import { callUserPool, totpCode, userPoolsConfig } from "../helpers/user-pool-clients.js";

let smtp: MailCatcher;
let net: TestNetwork;

beforeAll(async () => {
  smtp = await startMailCatcher();
  net = await TestNetwork.start({ config: { userPools: userPoolsConfig("http://user-pool.test", [{ id: "local_default" }], smtp.url) } });
});
afterAll(async () => {
  await net?.close();
  await smtp?.close();
});

/** The code in the newest mail to `to` after the `after`-th, waiting for it to arrive. */
async function mailedCode(to: string, after: number): Promise<string> {
  await expect.poll(() => smtp.mails.slice(after).some((mail) => mail.includes(to)), { timeout: 15_000 }).toBe(true);
  return /is (\d{6,8})/.exec(smtp.mails.slice(after).filter((mail) => mail.includes(to)).at(-1)!)![1]!;
}

/** A device's client and its user-pool calls, sending them to the running server over HTTP. */
function device(name: string): { client: SyncClient; auth: UserPoolAuth } {
  const client = net.device(name).client();
  return { client, auth: userPoolAuth(client, { endpoint: net.server!.url, userPoolId: "local_default", clientId: "default", fetch: (url, init) => fetch(url, init) }) };
}

/** Signs `username` up with an email and confirms it with the mailed code. */
async function signUpConfirmed(auth: UserPoolAuth, username: string, password: string): Promise<void> {
  const seen = smtp.mails.length;
  const signedUp = await auth.signUp({ username, password, attributes: { email: `${username}@example.com` } });
  expect(signedUp.userConfirmed).toBe(false);
  await auth.confirmSignUp({ username, code: await mailedCode(`${username}@example.com`, seen) });
}

describe("the client's user-pool sign-in", { timeout: 60_000 }, () => {
  it("signs up, confirms with the mailed code, signs in and syncs a dataset that another device of the user reads", async () => {
    const { client, auth } = device("up-a");
    await signUpConfirmed(auth, "ann", "Correct-horse-9");
    const signedIn = await auth.signIn({ username: "ann", password: "Correct-horse-9" });
    expect(signedIn.step).toBe("DONE");
    if (signedIn.step !== "DONE") return;
    expect(signedIn.session.deviceSecret).toBeNull();
    expect(client.identityId).toBe(signedIn.session.identityId);
    await client.dataset("notes").put("n1", "hello");
    await client.sync();

    const other = device("up-b");
    const again = await other.auth.signIn({ username: "ann", password: "Correct-horse-9" });
    expect(again.step === "DONE" && again.session.identityId).toBe(signedIn.session.identityId);
    await other.client.sync();
    expect(await other.client.dataset("notes").get("n1")).toBe("hello");
  });

  it("refuses a wrong password and a wrong code with Cognito's exception names, signing nobody in", async () => {
    const { client, auth } = device("up-refused");
    await expect(auth.signUp({ username: "bob", password: "Correct-horse-9", attributes: { email: "bob@example.com" } })).resolves.toMatchObject({ userConfirmed: false });
    await expect(auth.confirmSignUp({ username: "bob", code: "000000" })).rejects.toMatchObject({ name: "UserPoolError", code: "CodeMismatchException" });
    await expect(auth.signIn({ username: "bob", password: "Correct-horse-9" })).rejects.toMatchObject({ code: "UserNotConfirmedException" });
    await expect(auth.signIn({ username: "nobody", password: "Wrong-horse-9" })).rejects.toMatchObject({ code: "NotAuthorizedException" });
    await expect(auth.confirmSignIn({ code: "123456" })).rejects.toMatchObject({ code: "InvalidParameterException" });
    expect(client.identityId).toBeNull();
  });

  it("names the TOTP step when the user has TOTP MFA and signs in once confirmSignIn answers it", async () => {
    const { client, auth } = device("up-mfa");
    await signUpConfirmed(auth, "cat", "Correct-horse-9");
    const first = await auth.signIn({ username: "cat", password: "Correct-horse-9" });
    if (first.step !== "DONE") throw new Error(`expected DONE, got ${first.step}`);
    const accessToken = first.tokens.accessToken;
    const send = (url: string, init: RequestInit) => fetch(url, init);
    const associated = await callUserPool(send, net.server!.url, "AssociateSoftwareToken", { AccessToken: accessToken });
    const secret = associated.body["SecretCode"] as string;
    expect((await callUserPool(send, net.server!.url, "VerifySoftwareToken", { AccessToken: accessToken, UserCode: totpCode(secret, Date.now()) })).status).toBe(200);
    const preferred = await callUserPool(send, net.server!.url, "SetUserMFAPreference", { AccessToken: accessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } });
    expect(preferred.status).toBe(200);
    await client.signOut();

    const challenged = await auth.signIn({ username: "cat", password: "Correct-horse-9" });
    expect(challenged.step).toBe("CONFIRM_SIGN_IN_WITH_TOTP_CODE");
    expect(client.identityId).toBeNull();
    // The next 30-second step's code: the one that verified the set-up may not be used again.
    const done = await auth.confirmSignIn({ code: totpCode(secret, Date.now() + 30_000) });
    expect(done.step === "DONE" && done.session.identityId).toBe(first.session.identityId);
    expect(client.identityId).toBe(first.session.identityId);
  });

  it("keeps a guest's identity id and datasets when the guest signs up and signs in", async () => {
    const { client, auth } = device("up-guest");
    const guest = await client.signIn();
    await client.dataset("drafts").put("d1", "written as a guest");
    await client.sync();
    await signUpConfirmed(auth, "dan", "Correct-horse-9");
    const signedIn = await auth.signIn({ username: "dan", password: "Correct-horse-9" });
    expect(signedIn.step === "DONE" && signedIn.session.identityId).toBe(guest.identityId);
    expect(client.identityId).toBe(guest.identityId);
    expect(await client.dataset("drafts").get("d1")).toBe("written as a guest");

    const other = device("up-guest-b");
    await other.auth.signIn({ username: "dan", password: "Correct-horse-9" });
    await other.client.sync();
    expect(other.client.identityId).toBe(guest.identityId);
    expect(await other.client.dataset("drafts").get("d1")).toBe("written as a guest");
  });
});
