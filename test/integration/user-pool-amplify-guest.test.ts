/**
 * One login, one identity through unmodified Amplify (aws-amplify 6.22; issue #17, item 8): a guest
 * identity Amplify obtained (`fetchAuthSession` with guest access, in a pool with
 * `awsGuestAccess: "open"`, since Amplify cannot send a guest secret) writes a dataset through
 * Cognito Sync with its guest credentials; after `signUp`, `confirmSignUp` and `signIn`, Amplify
 * sends GetCredentialsForIdentity with the guest id it kept plus the ID token in `Logins`, and the
 * server links the new login to that guest, as Cognito does: `fetchAuthSession` answers the same
 * identity id, whose credentials read the guest's data.
 */
import { CognitoSyncClient, ListRecordsCommand, UpdateRecordsCommand } from "@aws-sdk/client-cognito-sync";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { Amplify } from "aws-amplify";
import { confirmSignUp, fetchAuthSession, signIn, signUp } from "aws-amplify/auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { freshAmplifyForThisFile } from "../helpers/amplify-reset.js";
import { startMailCatcher, type MailCatcher } from "../helpers/mail-catcher.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { userPoolsConfig } from "../helpers/user-pool-clients.js";

let smtp: MailCatcher;
let server: TestServer;

freshAmplifyForThisFile();
beforeAll(async () => {
  smtp = await startMailCatcher();
  const pools = [poolSettingsSchema.parse({ id: "default", region: "local", awsGuestAccess: "open" })];
  server = await startTestServer({ config: { pools, userPools: userPoolsConfig("http://user-pool.test", [{ id: "local_default" }], smtp.url) } });
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: "local_default",
        userPoolClientId: "default",
        identityPoolId: "local:default",
        allowGuestAccess: true,
        userPoolEndpoint: `${server.url}/aws/cognito-idp`,
        identityPoolEndpoint: `${server.url}/aws/cognito-identity`,
        loginWith: { username: true, email: true },
        signUpVerificationMethod: "code",
      },
    },
  });
});
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

/** Cognito Sync signed with the credentials Amplify holds now. */
async function syncAsSession(): Promise<{ identityId: string; sync: CognitoSyncClient }> {
  const session = await fetchAuthSession();
  const credentials = session.credentials!;
  const sync = new CognitoSyncClient({ region: "local", endpoint: `${server.url}/aws/cognito-sync`, requestHandler: new NodeHttpHandler(), maxAttempts: 1, credentials });
  return { identityId: session.identityId!, sync };
}

describe("a guest signing in through unmodified Amplify", { timeout: 60_000 }, () => {
  it("keeps the guest's identity id and its dataset after sign-up and sign-in", async () => {
    const guest = await syncAsSession();
    expect(guest.identityId).toMatch(/^local:/);
    const path = { IdentityPoolId: "default", IdentityId: guest.identityId, DatasetName: "drafts" };
    const { SyncSessionToken } = await guest.sync.send(new ListRecordsCommand({ ...path, LastSyncCount: 0 }));
    await guest.sync.send(new UpdateRecordsCommand({ ...path, SyncSessionToken, RecordPatches: [{ Op: "replace", Key: "d1", Value: "written as a guest", SyncCount: 0 }] }));

    const seen = smtp.mails.length;
    await signUp({ username: "eve", password: "Correct-horse-9", options: { userAttributes: { email: "eve@example.com" } } });
    await expect.poll(() => smtp.mails.slice(seen).some((mail) => mail.includes("eve@example.com")), { timeout: 15_000 }).toBe(true);
    const code = /is (\d{6})/.exec(smtp.mails.slice(seen).find((mail) => mail.includes("eve@example.com"))!)![1]!;
    await confirmSignUp({ username: "eve", confirmationCode: code });
    // USER_PASSWORD_AUTH: the login's tokens are what the identity pool links; Amplify's SRP is user-pool-amplify.test.ts's.
    await expect(signIn({ username: "eve", password: "Correct-horse-9", options: { authFlowType: "USER_PASSWORD_AUTH" } })).resolves.toMatchObject({ isSignedIn: true });

    const user = await syncAsSession();
    expect((await fetchAuthSession()).tokens?.idToken).toBeDefined();
    expect(user.identityId).toBe(guest.identityId);
    const page = await user.sync.send(new ListRecordsCommand({ ...path, LastSyncCount: 0 }));
    expect(page.Records?.map((record) => [record.Key, record.Value])).toEqual([["d1", "written as a guest"]]);
  });
});
