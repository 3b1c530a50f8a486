/**
 * The sync client's own user-pool methods (`client.signUp`, `confirmSignUp`, `signIn({ username,
 * password })`, `confirmSignIn`, `resetPassword`, `signOut`) against the real server over HTTP,
 * the pool, app client and endpoint defaulted from the client's own server, codes read from a real
 * SMTP server. A guest keeps its identity id and datasets through sign-up and sign-in; an expired
 * ID token is renewed with the refresh token before the next request, also by an app restarted
 * since (the tokens are kept on the device), and a revoked one signs the client out. Time moves by the server's and the client's injected clock, never by waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { TestNetwork, type DeviceLink } from "../helpers/client-network.js";
import { startMailCatcher, type MailCatcher } from "../helpers/mail-catcher.js";
import { callUserPool, totpCode, userPoolsConfig } from "../helpers/user-pool-clients.js";

const HOUR_MS = 3_600_000;
const PASSWORD = "Correct-horse-9";

let smtp: MailCatcher;
let net: TestNetwork;
/** The time the server and every client read; a test moves it forward. */
let clock = Date.now();
const now = () => clock;

beforeAll(async () => {
  smtp = await startMailCatcher();
  net = await TestNetwork.start({ now, config: { userPools: userPoolsConfig("http://user-pool.test", [{ id: "local_default" }], smtp.url) } });
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

/** A client on device `name` reading the shared clock; `calls` collects the user-pool operations it sent. */
function deviceClient(name: string): { client: SyncClient; link: DeviceLink; calls: string[] } {
  const link = net.device(name);
  const calls: string[] = [];
  const client = link.client({
    now,
    fetch: (url, init) => {
      const target = new Headers(init.headers).get("x-amz-target");
      if (target) calls.push(`${target.split(".")[1]}${typeof init.body === "string" && init.body.includes("REFRESH_TOKEN_AUTH") ? ":REFRESH_TOKEN_AUTH" : ""}`);
      return link.fetch(url, init);
    },
  });
  return { client, link, calls };
}

/** Signs `username` up through the client with an email and confirms it with the mailed code. */
async function signUpConfirmed(client: SyncClient, username: string): Promise<void> {
  const seen = smtp.mails.length;
  await expect(client.signUp({ username, password: PASSWORD, attributes: { email: `${username}@example.com` } })).resolves.toMatchObject({ userConfirmed: false });
  await client.confirmSignUp({ username, code: await mailedCode(`${username}@example.com`, seen) });
}

/** Signs `username` in through the client, expecting no MFA step; returns the result. */
async function signedIn(client: SyncClient, username: string, password = PASSWORD) {
  const result = await client.signIn({ username, password });
  if (result.step !== "DONE") throw new Error(`expected DONE, got ${result.step}`);
  return result;
}

describe("the sync client's user-pool methods", { timeout: 60_000 }, () => {
  it("signs up, confirms and signs in on the client's own server's default pool, and answers a TOTP step with confirmSignIn", async () => {
    const { client, calls } = deviceClient("acct-a");
    await signUpConfirmed(client, "amy");
    const first = await signedIn(client, "amy");
    expect(calls).toEqual(["SignUp", "ConfirmSignUp", "InitiateAuth"]);
    expect(client.identityId).toBe(first.session.identityId);
    await client.dataset("notes").put("n1", "hello");
    await client.sync();

    const send = (url: string, init: RequestInit) => fetch(url, init);
    const { accessToken } = first.tokens;
    const secret = (await callUserPool(send, net.server!.url, "AssociateSoftwareToken", { AccessToken: accessToken })).body["SecretCode"] as string;
    expect((await callUserPool(send, net.server!.url, "VerifySoftwareToken", { AccessToken: accessToken, UserCode: totpCode(secret, clock) })).status).toBe(200);
    expect((await callUserPool(send, net.server!.url, "SetUserMFAPreference", { AccessToken: accessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } })).status).toBe(200);

    const other = deviceClient("acct-a2").client;
    const challenged = await other.signIn({ username: "amy", password: PASSWORD });
    expect(challenged.step).toBe("CONFIRM_SIGN_IN_WITH_TOTP_CODE");
    expect(other.identityId).toBeNull();
    // The next 30-second step's code: the one that verified the set-up may not be used again.
    const done = await other.confirmSignIn({ code: totpCode(secret, clock + 30_000) });
    expect(done.step === "DONE" && done.session.identityId).toBe(first.session.identityId);
    await other.sync();
    expect(await other.dataset("notes").get("n1")).toBe("hello");
  });

  it("keeps a guest's identity id and the datasets it wrote offline when the guest signs up and signs in, and another device signing in as the user reads them", async () => {
    const { client, link } = deviceClient("acct-guest");
    const guest = await client.signIn();
    await client.dataset("drafts").put("online", "written as a guest");
    await client.sync();
    link.offline = true;
    await client.dataset("drafts").put("offline", "written offline as a guest");
    await expect(client.signUp({ username: "gus", password: PASSWORD })).rejects.toMatchObject({ name: "NetworkError" });
    link.offline = false;

    await signUpConfirmed(client, "gus");
    const result = await signedIn(client, "gus");
    expect(result.session.identityId).toBe(guest.identityId);
    expect(result.session.deviceSecret).toBeNull();
    expect(client.identityId).toBe(guest.identityId);
    expect(await client.dataset("drafts").get("offline")).toBe("written offline as a guest");

    const other = deviceClient("acct-guest-b").client;
    await signedIn(other, "gus");
    expect(other.identityId).toBe(guest.identityId);
    await other.sync();
    expect(await other.dataset("drafts").get("online")).toBe("written as a guest");
    expect(await other.dataset("drafts").get("offline")).toBe("written offline as a guest");
  });

  it("renews an expired ID token with the refresh token before its next request, and syncs as the same identity", async () => {
    const { client, calls } = deviceClient("acct-refresh");
    await signUpConfirmed(client, "rae");
    const first = await signedIn(client, "rae");
    await client.dataset("notes").put("before", "1");
    await client.sync();
    expect(calls.filter((call) => call.endsWith(":REFRESH_TOKEN_AUTH"))).toEqual([]);

    // Both the syncpool token (15 min) and the ID token (1 h) have expired.
    clock += 2 * HOUR_MS;
    await client.dataset("notes").put("after", "2");
    await client.sync();
    expect(calls.filter((call) => call.endsWith(":REFRESH_TOKEN_AUTH"))).toHaveLength(1);
    expect(client.identityId).toBe(first.session.identityId);

    const other = deviceClient("acct-refresh-b").client;
    await signedIn(other, "rae");
    await other.sync();
    expect(await other.dataset("notes").get("after")).toBe("2");
  });

  it("keeps the user's tokens on the device, so an app restarted later renews its session with the refresh token", async () => {
    const { client, link } = deviceClient("acct-restart");
    await signUpConfirmed(client, "ivy");
    const first = await signedIn(client, "ivy");
    await client.close();

    // The app starts again: signIn() with no argument, offline, is the user's identity.
    const restartCalls: string[] = [];
    const restarted = link.client({
      now,
      fetch: (url, init) => {
        if (typeof init.body === "string" && init.body.includes("REFRESH_TOKEN_AUTH")) restartCalls.push("REFRESH_TOKEN_AUTH");
        return link.fetch(url, init);
      },
    });
    link.offline = true;
    expect((await restarted.signIn()).identityId).toBe(first.session.identityId);
    await restarted.dataset("notes").put("restarted", "3");
    link.offline = false;
    clock += 2 * HOUR_MS;
    await restarted.sync();
    expect(restartCalls).toEqual(["REFRESH_TOKEN_AUTH"]);

    const other = deviceClient("acct-restart-b").client;
    await signedIn(other, "ivy");
    await other.sync();
    expect(await other.dataset("notes").get("restarted")).toBe("3");

    // Signing out after the restart revokes the kept refresh token too.
    await restarted.signOut();
    const refreshed = await callUserPool((url, init) => fetch(url, init), net.server!.url, "InitiateAuth", {
      ClientId: "default",
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: first.tokens.refreshToken },
    });
    expect(refreshed.status).toBe(400);
  });

  it("signs the client out with UNAUTHENTICATED when the pool refuses its revoked refresh token", async () => {
    const { client } = deviceClient("acct-revoked");
    await signUpConfirmed(client, "rex");
    const first = await signedIn(client, "rex");
    const signedOut: { wiped: boolean }[] = [];
    client.on("signedOut", (event) => signedOut.push(event));
    const revoked = await callUserPool((url, init) => fetch(url, init), net.server!.url, "RevokeToken", { ClientId: "default", Token: first.tokens.refreshToken });
    expect(revoked.status).toBe(200);

    clock += 2 * HOUR_MS;
    await client.dataset("notes").put("pending", "kept on the device");
    await expect(client.sync()).rejects.toMatchObject({ name: "SyncpoolError", code: "UNAUTHENTICATED" });
    await expect.poll(() => signedOut).toEqual([{ wiped: false }]);
    expect(client.identityId).toBeNull();

    // Signing in again as the user finds the write that waited on the device.
    const again = await signedIn(client, "rex");
    expect(again.session.identityId).toBe(first.session.identityId);
    await client.sync();
    const other = deviceClient("acct-revoked-b").client;
    await signedIn(other, "rex");
    await other.sync();
    expect(await other.dataset("notes").get("pending")).toBe("kept on the device");
  });

  it("revokes the refresh token on signOut, after which signIn() without arguments is a new guest", async () => {
    const { client } = deviceClient("acct-out");
    await signUpConfirmed(client, "ola");
    const first = await signedIn(client, "ola");
    await client.signOut();
    const refreshed = await callUserPool((url, init) => fetch(url, init), net.server!.url, "InitiateAuth", {
      ClientId: "default",
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: first.tokens.refreshToken },
    });
    // Refused (with rotation on, a revoked token presented again also counts as reuse).
    expect(refreshed.status).toBe(400);
    expect(refreshed.body["AuthenticationResult"]).toBeUndefined();
    const guest = await client.signIn();
    expect(guest.identityId).not.toBe(first.session.identityId);
    expect(guest.deviceSecret).not.toBeNull();
  });

  it("resets a forgotten password with the mailed code", async () => {
    const { client } = deviceClient("acct-reset");
    await signUpConfirmed(client, "pia");
    const seen = smtp.mails.length;
    await client.resetPassword({ username: "pia" });
    await client.confirmResetPassword({ username: "pia", code: await mailedCode("pia@example.com", seen), newPassword: "Another-horse-7" });
    await expect(client.signIn({ username: "pia", password: PASSWORD })).rejects.toMatchObject({ name: "UserPoolError", code: "NotAuthorizedException" });
    expect((await signedIn(client, "pia", "Another-horse-7")).session.deviceSecret).toBeNull();
  });
});
