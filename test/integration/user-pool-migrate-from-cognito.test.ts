/**
 * Lazy migration from a live Cognito pool (`migrateFrom.cognito`): a second syncpool server plays
 * the live pool (it speaks Cognito's protocol, AdminInitiateAuth and AdminGetUser included). An
 * unknown user signing in through unmodified Amplify with USER_PASSWORD_AUTH is checked there and
 * created here with the live `sub`; afterwards SRP works too. A wrong password migrates nothing; a
 * password reset of an unknown user migrates it so the code can be sent; a live user who must choose
 * a new password comes as such; a live user whose verified email a user here has verified is not
 * migrated, answered as an unknown user; a live pool that is down answers UnexpectedLambdaException and
 * creates no one. Binds ports: Amplify and the SDK send their own HTTP requests, and two servers talk.
 */
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserMFAPreferenceCommand,
  AdminSetUserPasswordCommand,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  ForgotPasswordCommand,
  InitiateAuthCommand,
  SignUpCommand,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { Amplify } from "aws-amplify";
import { fetchAuthSession, signIn, signOut } from "aws-amplify/auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { freshAmplifyForThisFile } from "../helpers/amplify-reset.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { codeFromLog, cognitoClient, userPoolsConfig } from "../helpers/user-pool-clients.js";

const LIVE_POOL = "us-east-1_Live";
const POOL = "local_default";
const LIVE_DEVELOPER = { accessKeyId: "AKIALIVECOGNITO00001", secretAccessKey: "live-cognito-developer-secret-0123456789" };
const DEVELOPER = { accessKeyId: "AKIANEWSYNCPOOL00001", secretAccessKey: "new-syncpool-developer-secret-0123456789" };
const PASSWORD = "Old-password-1";

let live: TestServer;
let server: TestServer;
let liveAdmin: CognitoIdentityProviderClient;
let admin: CognitoIdentityProviderClient;
let cognito: CognitoIdentityProviderClient;

/** A server migrating from `endpoint` (the live pool's, or one where nothing answers). */
const migratingServer = (endpoint: string, flow: "ADMIN_USER_PASSWORD_AUTH" | "USER_PASSWORD_AUTH" = "ADMIN_USER_PASSWORD_AUTH") =>
  startTestServer({
    captureLogs: true,
    config: {
      pools: [poolSettingsSchema.parse({ id: "default", developerCredentials: DEVELOPER })],
      userPools: {
        ...userPoolsConfig("http://new-pool.test", [{ id: POOL, migrateFrom: { cognito: { region: "us-east-1", userPoolId: LIVE_POOL, clientId: "live", endpoint, flow } } }]),
        // The client flow needs no AWS credentials: wrong ones prove they are not used.
        migrationCredentials: flow === "ADMIN_USER_PASSWORD_AUTH" ? LIVE_DEVELOPER : { accessKeyId: "AKIANOTUSED000000001", secretAccessKey: "not-used-secret" },
      },
    },
  });

/** A CONFIRMED user of the live pool with `PASSWORD` and a verified email. */
async function liveUser(username: string, permanent = true) {
  await liveAdmin.send(
    new AdminCreateUserCommand({ UserPoolId: LIVE_POOL, Username: username, MessageAction: "SUPPRESS", TemporaryPassword: PASSWORD, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }, { Name: "email_verified", Value: "true" }, { Name: "custom:plan", Value: "gold" }] }),
  );
  if (permanent) await liveAdmin.send(new AdminSetUserPasswordCommand({ UserPoolId: LIVE_POOL, Username: username, Password: PASSWORD, Permanent: true }));
  const got = await liveAdmin.send(new AdminGetUserCommand({ UserPoolId: LIVE_POOL, Username: username }));
  return got.UserAttributes!.find((attribute) => attribute.Name === "sub")!.Value!;
}

const localUser = (username: string) => server.storage.userPools.getUser(POOL, username);
const nameOf = (promise: Promise<unknown>) => promise.then(() => "resolved", (error: { name: string }) => error.name);
const passwordSignIn = (username: string, password: string) =>
  cognito.send(new InitiateAuthCommand({ ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD: password } }));

freshAmplifyForThisFile();
beforeAll(async () => {
  live = await startTestServer({
    config: { pools: [poolSettingsSchema.parse({ id: "default", developerCredentials: LIVE_DEVELOPER })], userPools: userPoolsConfig("http://live-pool.test", [{ id: LIVE_POOL, clients: [{ id: "live" }], mfaTypes: ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"] }]) },
  });
  server = await migratingServer(`${live.url}/aws/cognito-idp`);
  liveAdmin = cognitoClient(live.url, LIVE_DEVELOPER);
  admin = cognitoClient(server.url, DEVELOPER);
  cognito = cognitoClient(server.url);
  Amplify.configure({ Auth: { Cognito: { userPoolId: POOL, userPoolClientId: "default", userPoolEndpoint: `${server.url}/aws/cognito-idp`, loginWith: { username: true, email: true } } } });
});
afterAll(async () => {
  for (const client of [liveAdmin, admin, cognito]) client?.destroy();
  await server?.close();
  await live?.close();
});

describe("lazy migration from a live Cognito pool", { timeout: 60_000 }, () => {
  it("migrates a user signing in through Amplify with USER_PASSWORD_AUTH, keeping the live sub, after which SRP signs it in", async () => {
    const liveSub = await liveUser("mia");
    expect(await localUser("mia")).toBeNull();
    const first = await signIn({ username: "mia", password: PASSWORD, options: { authFlowType: "USER_PASSWORD_AUTH" } });
    expect(first).toMatchObject({ isSignedIn: true, nextStep: { signInStep: "DONE" } });
    const { tokens } = await fetchAuthSession();
    expect(tokens?.idToken?.payload).toMatchObject({ sub: liveSub, "cognito:username": "mia", email: "mia@example.com", email_verified: true, "custom:plan": "gold" });
    expect(await localUser("mia")).toMatchObject({ sub: liveSub, status: "CONFIRMED" });
    await signOut();
    expect(await signIn({ username: "mia", password: PASSWORD })).toMatchObject({ isSignedIn: true });
    expect((await fetchAuthSession()).tokens?.accessToken.payload["sub"]).toBe(liveSub);
    await signOut();
  });

  it("migrates nothing for a wrong password or a user the live pool does not have", async () => {
    await liveUser("noah");
    expect(await nameOf(passwordSignIn("noah", "Wrong-password-1"))).toBe("NotAuthorizedException");
    expect(await nameOf(passwordSignIn("nobody-anywhere", PASSWORD))).toBe("NotAuthorizedException");
    expect(await localUser("noah")).toBeNull();
    expect(await localUser("nobody-anywhere")).toBeNull();
  });

  it("migrates a user asking for a password reset, so the reset code is sent and sets the password", async () => {
    const liveSub = await liveUser("olga");
    expect(await cognito.send(new ForgotPasswordCommand({ ClientId: "default", Username: "olga" }))).toMatchObject({ CodeDeliveryDetails: { DeliveryMedium: "EMAIL" } });
    expect(await localUser("olga")).toMatchObject({ sub: liveSub, status: "RESET_REQUIRED" });
    const code = await codeFromLog(server.dataDir, "olga", "FORGOT_PASSWORD");
    await cognito.send(new ConfirmForgotPasswordCommand({ ClientId: "default", Username: "olga", ConfirmationCode: code!, Password: "New-password-2" }));
    expect((await passwordSignIn("olga", "New-password-2")).AuthenticationResult?.IdToken).toEqual(expect.any(String));
  });

  it("refuses to migrate a live user whose verified email is a user's verified email here, answering as for an unknown user and logging why", async () => {
    await cognito.send(new SignUpCommand({ ClientId: "default", Username: "sam-here", Password: "Local-password-1", UserAttributes: [{ Name: "email", Value: "sam@example.com" }] }));
    await cognito.send(new ConfirmSignUpCommand({ ClientId: "default", Username: "sam-here", ConfirmationCode: (await codeFromLog(server.dataDir, "sam-here", "SIGN_UP"))! }));
    await liveUser("sam");
    expect(await passwordSignIn("sam", PASSWORD).catch((error: Error) => ({ name: error.name, message: error.message }))).toEqual({ name: "NotAuthorizedException", message: "Incorrect username or password." });
    expect(await cognito.send(new ForgotPasswordCommand({ ClientId: "default", Username: "sam" }))).toMatchObject({ CodeDeliveryDetails: { DeliveryMedium: "EMAIL", Destination: expect.any(String) } });
    expect(await localUser("sam")).toBeNull();
    expect(await codeFromLog(server.dataDir, "sam", "FORGOT_PASSWORD")).toBeNull();
    expect(server.logText().match(/user-pool migration refused: the live user's verified email is another user's verified email here/g)).toHaveLength(2);
    // The user here keeps the address, and signs in with it.
    expect((await passwordSignIn("sam@example.com", "Local-password-1")).AuthenticationResult?.IdToken).toEqual(expect.any(String));
  });

  it("migrates a live user who must choose a new password as one who must choose it here", async () => {
    await liveUser("pia", false);
    const answer = await passwordSignIn("pia", PASSWORD);
    expect(answer.ChallengeName).toBe("NEW_PASSWORD_REQUIRED");
    expect(await localUser("pia")).toMatchObject({ status: "FORCE_CHANGE_PASSWORD" });
  });

  it("migrates a live user with MFA as one who must reset the password, since a password alone is not its sign-in", async () => {
    await liveUser("rosa");
    await liveAdmin.send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: LIVE_POOL, Username: "rosa", EmailMfaSettings: { Enabled: true, PreferredMfa: true } }));
    expect(await nameOf(passwordSignIn("rosa", PASSWORD))).toBe("PasswordResetRequiredException");
    expect(await localUser("rosa")).toMatchObject({ status: "RESET_REQUIRED", attributes: { email: "rosa@example.com", email_verified: "true" } });
  });

  it("migrates with the live pool's InitiateAuth and GetUser when configured with USER_PASSWORD_AUTH", async () => {
    const liveSub = await liveUser("quinn");
    const clientFlow = await migratingServer(`${live.url}/aws/cognito-idp`, "USER_PASSWORD_AUTH");
    const client = cognitoClient(clientFlow.url);
    try {
      const refused = await client.send(new InitiateAuthCommand({ ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "quinn", PASSWORD: "Wrong-password-1" } })).catch((error: Error) => error.name);
      expect(refused).toBe("NotAuthorizedException");
      const { AuthenticationResult } = await client.send(new InitiateAuthCommand({ ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "quinn", PASSWORD } }));
      expect(JSON.parse(Buffer.from(AuthenticationResult!.IdToken!.split(".")[1]!, "base64url").toString())).toMatchObject({ sub: liveSub, email: "quinn@example.com" });
    } finally {
      client.destroy();
      await clientFlow.close();
    }
  });

  it("answers UnexpectedLambdaException and creates no one while the live pool is down", async () => {
    const down = await migratingServer("http://127.0.0.1:9/aws/cognito-idp");
    try {
      const client = cognitoClient(down.url);
      const refused = await client.send(new InitiateAuthCommand({ ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "mia", PASSWORD } })).catch((error: Error) => error);
      expect(refused).toMatchObject({ name: "UnexpectedLambdaException", message: expect.stringContaining(LIVE_POOL) });
      expect(await down.storage.userPools.getUser(POOL, "mia")).toBeNull();
      client.destroy();
    } finally {
      await down.close();
    }
  });
});
