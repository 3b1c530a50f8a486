/**
 * The offline breached-password check through the real `@aws-sdk/client-cognito-identity-provider`:
 * with `passwordPolicy.breachedPasswords` naming a sorted SHA-1 file (made here, HIBP's
 * `HASH:COUNT` lines), a password listed at least `minCount` times is refused with
 * InvalidPasswordException at SignUp, ChangePassword, ConfirmForgotPassword, NEW_PASSWORD_REQUIRED
 * and AdminSetUserPassword, and a refusal changes nothing; a password listed fewer times, or not at
 * all, is accepted. Binds a port: the SDK sends its own HTTP requests.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  ChangePasswordCommand,
  CognitoIdentityProviderClient,
  ConfirmForgotPasswordCommand,
  ForgotPasswordCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../helpers/server.js";
import { codeFromLog } from "../helpers/user-pool-clients.js";
import { startUserPoolSdkServer, type UserPoolSdkServer } from "../helpers/user-pool-sdk-server.js";

const POOL = "local_default";
const CLIENT = "default";
const GOOD = "Correct-horse-9";
/** Listed 52579 times: refused. */
const BREACHED = "P@ssw0rd-2024";
/** Listed once, under the pool's minCount of 2: accepted. */
const RARELY_SEEN = "Rarely-seen-42";
const DEVELOPER = { accessKeyId: "AKIAUSERPOOLBREACH01", secretAccessKey: "user-pool-breach-developer-secret-0123456789" };
const COMPROMISED = { name: "InvalidPasswordException", message: "Provided password cannot be used for security reasons: it appears in a list of compromised passwords." };

let pool: UserPoolSdkServer;
let server: TestServer;
let cognito: CognitoIdentityProviderClient;
let developer: CognitoIdentityProviderClient;
let dir: string;

const sha1 = (text: string) => createHash("sha1").update(text, "utf8").digest("hex").toUpperCase();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "syncpool-breached-"));
  const noise = Array.from({ length: 5000 }, () => `${randomBytes(20).toString("hex").toUpperCase()}:3`);
  const file = join(dir, "pwned-passwords-sha1-ordered-by-hash.txt");
  await writeFile(file, [...noise, `${sha1(BREACHED)}:52579`, `${sha1(RARELY_SEEN)}:1`].sort().join("\r\n") + "\r\n");
  pool = await startUserPoolSdkServer({ developerCredentials: DEVELOPER, userPools: [{ id: POOL, passwordPolicy: { breachedPasswords: { file, minCount: 2 } } }] });
  ({ server, cognito, developer } = pool);
});
afterAll(async () => {
  await pool?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const signUpConfirmed = (username: string, password = GOOD) => pool.signUpConfirmed(username, password, CLIENT);

const signIn = (username: string, password: string) =>
  cognito.send(new InitiateAuthCommand({ ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD: password } }));

describe("the breached-password check", { timeout: 60_000 }, () => {
  it("refuses a listed password at SignUp and stores no user", async () => {
    await expect(cognito.send(new SignUpCommand({ ClientId: CLIENT, Username: "ann", Password: BREACHED, UserAttributes: [{ Name: "email", Value: "ann@example.com" }] }))).rejects.toMatchObject(COMPROMISED);
    await expect(signIn("ann", BREACHED)).rejects.toMatchObject({ name: "NotAuthorizedException" });
    expect(await server.storage.userPools.getUser(POOL, "ann")).toBeNull();
  });

  it("accepts a password listed fewer times than minCount", async () => {
    await signUpConfirmed("rita", RARELY_SEEN);
    expect((await signIn("rita", RARELY_SEEN)).AuthenticationResult?.AccessToken).toEqual(expect.any(String));
  });

  it("refuses a listed password at ChangePassword, keeping the old one", async () => {
    await signUpConfirmed("carl");
    const { AccessToken } = (await signIn("carl", GOOD)).AuthenticationResult!;
    await expect(cognito.send(new ChangePasswordCommand({ AccessToken, PreviousPassword: GOOD, ProposedPassword: BREACHED }))).rejects.toMatchObject(COMPROMISED);
    await expect(signIn("carl", BREACHED)).rejects.toMatchObject({ name: "NotAuthorizedException" });
    expect((await signIn("carl", GOOD)).AuthenticationResult).toBeDefined();
  });

  it("refuses a listed password at ConfirmForgotPassword, keeping the old one", async () => {
    await signUpConfirmed("fay");
    await cognito.send(new ForgotPasswordCommand({ ClientId: CLIENT, Username: "fay" }));
    const code = await codeFromLog(server.dataDir, "fay", "FORGOT_PASSWORD");
    await expect(cognito.send(new ConfirmForgotPasswordCommand({ ClientId: CLIENT, Username: "fay", ConfirmationCode: code!, Password: BREACHED }))).rejects.toMatchObject(COMPROMISED);
    expect((await signIn("fay", GOOD)).AuthenticationResult).toBeDefined();
  });

  it("refuses a listed password at NEW_PASSWORD_REQUIRED and at AdminSetUserPassword", async () => {
    await developer.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: "nils", TemporaryPassword: "Temporary-pass-1", MessageAction: "SUPPRESS" }));
    const challenge = await signIn("nils", "Temporary-pass-1");
    expect(challenge.ChallengeName).toBe("NEW_PASSWORD_REQUIRED");
    await expect(
      cognito.send(new RespondToAuthChallengeCommand({ ClientId: CLIENT, ChallengeName: "NEW_PASSWORD_REQUIRED", Session: challenge.Session, ChallengeResponses: { USERNAME: "nils", NEW_PASSWORD: BREACHED } })),
    ).rejects.toMatchObject(COMPROMISED);
    await expect(developer.send(new AdminSetUserPasswordCommand({ UserPoolId: POOL, Username: "nils", Password: BREACHED, Permanent: true }))).rejects.toMatchObject(COMPROMISED);
    expect((await server.storage.userPools.getUser(POOL, "nils"))?.status).toBe("FORCE_CHANGE_PASSWORD");
    await developer.send(new AdminSetUserPasswordCommand({ UserPoolId: POOL, Username: "nils", Password: GOOD, Permanent: true }));
    expect((await signIn("nils", GOOD)).AuthenticationResult).toBeDefined();
  });
});
