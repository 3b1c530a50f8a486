/**
 * The user pool's Admin* operations through the real `@aws-sdk/client-cognito-identity-provider`,
 * signed with the linked identity pool's developer credentials: creating users who must choose a
 * password at their first sign-in, reading, disabling (which ends their sessions), enabling,
 * confirming, signing out and deleting them, setting and resetting passwords under the pool's
 * policy and history, changing attributes, listing with Cognito's filters and pages, UpdateGroup
 * and the Describe calls; then the refusal table with Cognito's exception names, each changing
 * nothing. Binds a port: the SDK sends its own HTTP requests to an endpoint URL.
 */
import {
  AdminConfirmSignUpCommand,
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminResetUserPasswordCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  ConfirmForgotPasswordCommand,
  CreateGroupCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  GetUserCommand,
  InitiateAuthCommand,
  ListUsersCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
  UpdateGroupCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../helpers/server.js";
import { codeFromLog, cognitoClient } from "../helpers/user-pool-clients.js";
import { startUserPoolSdkServer, type UserPoolSdkServer } from "../helpers/user-pool-sdk-server.js";

const POOL = "local_default";
const CLIENT = "default";
const PASSWORD = "Correct-horse-9";
const DEVELOPER = { accessKeyId: "AKIAUSERPOOLADMIN001", secretAccessKey: "user-pool-admin-developer-secret-0123456789" };

let pool: UserPoolSdkServer;
let server: TestServer;
let cognito: CognitoIdentityProviderClient;
let developer: CognitoIdentityProviderClient;

const sdkClient = (credentials?: { accessKeyId: string; secretAccessKey: string }) => cognitoClient(server.url, credentials);

beforeAll(async () => {
  pool = await startUserPoolSdkServer({ developerCredentials: DEVELOPER, userPools: [{ id: POOL, passwordPolicy: { passwordHistorySize: 2 } }] });
  ({ server, cognito, developer } = pool);
});
afterAll(async () => pool?.close());

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ name: "resolved", message: "", status: 200 }),
    (error: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => ({ name: error.name, message: error.message, status: error.$metadata?.httpStatusCode }),
  );
const signIn = (username: string, password = PASSWORD) =>
  cognito.send(new InitiateAuthCommand({ ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD: password } }));
const statusOf = async (username: string) => (await developer.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: username }))).UserStatus;
const createUser = (username: string, extra: Partial<ConstructorParameters<typeof AdminCreateUserCommand>[0]> = {}) =>
  developer.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: username, TemporaryPassword: "Temporary-pass-1", MessageAction: "SUPPRESS", ...extra }));

describe("user-pool Admin* operations", { timeout: 60_000 }, () => {
  it("creates a user whose first sign-in must choose a new password, then signs in with it", async () => {
    const { User } = await createUser("erin", { UserAttributes: [{ Name: "email", Value: "erin@example.com" }, { Name: "email_verified", Value: "true" }] });
    expect(User).toMatchObject({ Username: "erin", Enabled: true, UserStatus: "FORCE_CHANGE_PASSWORD" });
    expect(User!.Attributes).toEqual(expect.arrayContaining([{ Name: "email", Value: "erin@example.com" }, { Name: "email_verified", Value: "true" }]));
    const first = await signIn("erin", "Temporary-pass-1");
    expect(first.ChallengeName).toBe("NEW_PASSWORD_REQUIRED");
    const answered = await cognito.send(new RespondToAuthChallengeCommand({ ClientId: CLIENT, ChallengeName: "NEW_PASSWORD_REQUIRED", Session: first.Session!, ChallengeResponses: { USERNAME: "erin", NEW_PASSWORD: PASSWORD } }));
    expect(answered.AuthenticationResult?.AccessToken).toBeTruthy();
    expect(await statusOf("erin")).toBe("CONFIRMED");
    // A verified email set by the administrator is a sign-in alias at once.
    expect((await signIn("erin@example.com")).AuthenticationResult?.IdToken).toBeTruthy();
  });

  it("mails an invitation with a generated temporary password, and RESEND replaces it", async () => {
    await developer.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: "fay", UserAttributes: [{ Name: "email", Value: "fay@example.com" }], DesiredDeliveryMediums: ["EMAIL"] }));
    const invited = await codeFromLog(server.dataDir, "fay", "INVITATION");
    expect(invited).toMatch(/^.{16,}$/);
    expect((await signIn("fay", invited!)).ChallengeName).toBe("NEW_PASSWORD_REQUIRED");
    await developer.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: "fay", MessageAction: "RESEND" }));
    const resent = await codeFromLog(server.dataDir, "fay", "INVITATION");
    expect(resent).not.toBe(invited);
    expect((await errorOf(signIn("fay", invited!))).name).toBe("NotAuthorizedException");
    expect((await signIn("fay", resent!)).ChallengeName).toBe("NEW_PASSWORD_REQUIRED");
  });

  it("refuses a disabled user's sign-in and ends its sessions; enabling lets it sign in again", async () => {
    await createUser("gus");
    await developer.send(new AdminSetUserPasswordCommand({ UserPoolId: POOL, Username: "gus", Password: PASSWORD, Permanent: true }));
    const before = (await signIn("gus")).AuthenticationResult!;
    await developer.send(new AdminDisableUserCommand({ UserPoolId: POOL, Username: "gus" }));
    expect(await errorOf(signIn("gus"))).toEqual({ name: "NotAuthorizedException", message: "User is disabled.", status: 400 });
    expect((await errorOf(cognito.send(new GetUserCommand({ AccessToken: before.AccessToken! }))))).toMatchObject({ name: "NotAuthorizedException" });
    const refreshed = cognito.send(new InitiateAuthCommand({ ClientId: CLIENT, AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: before.RefreshToken! } }));
    expect((await errorOf(refreshed)).name).toBe("NotAuthorizedException");
    expect((await developer.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: "gus" }))).Enabled).toBe(false);
    await developer.send(new AdminEnableUserCommand({ UserPoolId: POOL, Username: "gus" }));
    expect((await signIn("gus")).AuthenticationResult?.AccessToken).toBeTruthy();
  });

  it("sets passwords temporary or permanent under the pool's policy and history", async () => {
    await createUser("hal");
    await developer.send(new AdminSetUserPasswordCommand({ UserPoolId: POOL, Username: "hal", Password: "Another-pass-2", Permanent: false }));
    expect(await statusOf("hal")).toBe("FORCE_CHANGE_PASSWORD");
    expect((await signIn("hal", "Another-pass-2")).ChallengeName).toBe("NEW_PASSWORD_REQUIRED");
    await developer.send(new AdminSetUserPasswordCommand({ UserPoolId: POOL, Username: "hal", Password: PASSWORD, Permanent: true }));
    expect(await statusOf("hal")).toBe("CONFIRMED");
    expect((await signIn("hal")).AuthenticationResult).toBeDefined();
    const weak = developer.send(new AdminSetUserPasswordCommand({ UserPoolId: POOL, Username: "hal", Password: "short", Permanent: true }));
    expect(await errorOf(weak)).toMatchObject({ name: "InvalidPasswordException", status: 400 });
    const reused = developer.send(new AdminSetUserPasswordCommand({ UserPoolId: POOL, Username: "hal", Password: "Another-pass-2", Permanent: true }));
    expect((await errorOf(reused)).name).toBe("PasswordHistoryPolicyViolationException");
    expect((await signIn("hal")).AuthenticationResult).toBeDefined();
  });

  it("resets a password: sign-in asks for the reset, and the mailed code sets a new password", async () => {
    await createUser("ivy", { UserAttributes: [{ Name: "email", Value: "ivy@example.com" }, { Name: "email_verified", Value: "true" }] });
    await developer.send(new AdminSetUserPasswordCommand({ UserPoolId: POOL, Username: "ivy", Password: PASSWORD, Permanent: true }));
    await developer.send(new AdminResetUserPasswordCommand({ UserPoolId: POOL, Username: "ivy" }));
    expect(await statusOf("ivy")).toBe("RESET_REQUIRED");
    expect((await errorOf(signIn("ivy"))).name).toBe("PasswordResetRequiredException");
    const code = await codeFromLog(server.dataDir, "ivy", "FORGOT_PASSWORD");
    await cognito.send(new ConfirmForgotPasswordCommand({ ClientId: CLIENT, Username: "ivy", ConfirmationCode: code!, Password: "Brand-new-pass-3" }));
    expect((await signIn("ivy", "Brand-new-pass-3")).AuthenticationResult).toBeDefined();
  });

  it("updates and deletes attributes; a new unverified email is mailed a code and is no alias until verified", async () => {
    await createUser("jay", { UserAttributes: [{ Name: "email", Value: "jay@example.com" }, { Name: "email_verified", Value: "true" }, { Name: "given_name", Value: "Jay" }] });
    await developer.send(new AdminUpdateUserAttributesCommand({ UserPoolId: POOL, Username: "jay", UserAttributes: [{ Name: "email", Value: "jay@example.org" }, { Name: "family_name", Value: "Bird" }] }));
    expect(await codeFromLog(server.dataDir, "jay", "VERIFY:email")).toMatch(/^\d{6}$/);
    const attributes = async () => Object.fromEntries((await developer.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: "jay" }))).UserAttributes!.map((a) => [a.Name, a.Value]));
    expect(await attributes()).toMatchObject({ email: "jay@example.org", email_verified: "false", family_name: "Bird", given_name: "Jay" });
    await developer.send(new AdminUpdateUserAttributesCommand({ UserPoolId: POOL, Username: "jay", UserAttributes: [{ Name: "email_verified", Value: "true" }] }));
    expect((await attributes())["email_verified"]).toBe("true");
    await developer.send(new AdminDeleteUserAttributesCommand({ UserPoolId: POOL, Username: "jay", UserAttributeNames: ["email", "given_name"] }));
    const left = await attributes();
    expect(Object.keys(left).sort()).toEqual(["family_name", "sub"]);
  });

  it("confirms a signed-up user without a code, once", async () => {
    await cognito.send(new SignUpCommand({ ClientId: CLIENT, Username: "kim", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "kim@example.com" }] }));
    expect(await statusOf("kim")).toBe("UNCONFIRMED");
    await developer.send(new AdminConfirmSignUpCommand({ UserPoolId: POOL, Username: "kim" }));
    expect((await signIn("kim")).AuthenticationResult).toBeDefined();
    const again = await errorOf(developer.send(new AdminConfirmSignUpCommand({ UserPoolId: POOL, Username: "kim" })));
    expect(again).toMatchObject({ name: "NotAuthorizedException", message: "User cannot be confirmed. Current status is CONFIRMED" });
  });

  it("signs a user out everywhere and deletes a user", async () => {
    const tokens = (await signIn("kim")).AuthenticationResult!;
    await developer.send(new AdminUserGlobalSignOutCommand({ UserPoolId: POOL, Username: "kim" }));
    const refreshed = cognito.send(new InitiateAuthCommand({ ClientId: CLIENT, AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken! } }));
    expect((await errorOf(refreshed)).name).toBe("NotAuthorizedException");
    expect((await signIn("kim")).AuthenticationResult).toBeDefined();
    await developer.send(new AdminDeleteUserCommand({ UserPoolId: POOL, Username: "kim" }));
    expect((await errorOf(developer.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: "kim" })))).name).toBe("UserNotFoundException");
    expect((await errorOf(signIn("kim"))).name).toBe("NotAuthorizedException");
  });

  it("lists users a page at a time with Cognito's exact and prefix filters", async () => {
    const names = async (input: Partial<ConstructorParameters<typeof ListUsersCommand>[0]>) =>
      (await developer.send(new ListUsersCommand({ UserPoolId: POOL, ...input }))).Users!.map((user) => user.Username);
    expect(await names({})).toEqual(["erin", "fay", "gus", "hal", "ivy", "jay"]);
    const first = await developer.send(new ListUsersCommand({ UserPoolId: POOL, Limit: 4 }));
    expect(first.Users!.map((user) => user.Username)).toEqual(["erin", "fay", "gus", "hal"]);
    expect(await names({ Limit: 4, PaginationToken: first.PaginationToken! })).toEqual(["ivy", "jay"]);
    expect(await names({ Filter: 'email = "erin@example.com"' })).toEqual(["erin"]);
    expect(await names({ Filter: 'email ^= "i"' })).toEqual(["ivy"]);
    expect(await names({ Filter: 'username ^= "g"' })).toEqual(["gus"]);
    expect(await names({ Filter: 'cognito:user_status = "FORCE_CHANGE_PASSWORD"' })).toEqual(["fay", "jay"]);
    expect(await names({ Filter: 'family_name = "Bird"' })).toEqual(["jay"]);
    expect(await names({ Filter: 'given_name = "Say \\"hi\\""' })).toEqual([]);
    await developer.send(new AdminDisableUserCommand({ UserPoolId: POOL, Username: "hal" }));
    expect(await names({ Filter: 'status = "Disabled"' })).toEqual(["hal"]);
    const narrowed = await developer.send(new ListUsersCommand({ UserPoolId: POOL, Filter: 'username = "erin"', AttributesToGet: ["email"] }));
    expect(narrowed.Users![0]!.Attributes).toEqual([{ Name: "email", Value: "erin@example.com" }]);
    expect(narrowed.Users![0]!.UserCreateDate).toBeInstanceOf(Date);
  });

  it("updates a group and describes the pool and its app client", async () => {
    await developer.send(new CreateGroupCommand({ UserPoolId: POOL, GroupName: "staff", Description: "Staff", Precedence: 3 }));
    const { Group } = await developer.send(new UpdateGroupCommand({ UserPoolId: POOL, GroupName: "staff", RoleArn: "arn:aws:iam::000000000000:role/editor" }));
    expect(Group).toMatchObject({ GroupName: "staff", RoleArn: "arn:aws:iam::000000000000:role/editor" });
    expect(Group!.Description).toBeUndefined();
    const { UserPool } = await developer.send(new DescribeUserPoolCommand({ UserPoolId: POOL }));
    expect(UserPool).toMatchObject({ Id: POOL, MfaConfiguration: "OPTIONAL", EstimatedNumberOfUsers: 6, Policies: { PasswordPolicy: { MinimumLength: 8, PasswordHistorySize: 2 } } });
    const { UserPoolClient } = await developer.send(new DescribeUserPoolClientCommand({ UserPoolId: POOL, ClientId: CLIENT }));
    expect(UserPoolClient).toMatchObject({ UserPoolId: POOL, ClientId: CLIENT, RefreshTokenValidity: 2_592_000 });
  });

  it("refuses bad calls with Cognito's exception names, HTTP 400, changing nothing", async () => {
    const before = await developer.send(new ListUsersCommand({ UserPoolId: POOL }));
    const refusals: [string, () => Promise<unknown>][] = [
      ["UserNotFoundException", () => developer.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: "nobody" }))],
      ["UserNotFoundException", () => developer.send(new AdminDisableUserCommand({ UserPoolId: POOL, Username: "nobody" }))],
      ["UserNotFoundException", () => developer.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: "nobody", MessageAction: "RESEND" }))],
      ["UsernameExistsException", () => createUser("erin")],
      ["UnsupportedUserStateException", () => developer.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: "erin", MessageAction: "RESEND" }))],
      ["InvalidPasswordException", () => createUser("lee", { TemporaryPassword: "weak" })],
      ["InvalidParameterException", () => createUser("lee@example.com")],
      ["InvalidParameterException", () => createUser("lee", { DesiredDeliveryMediums: ["SMS"], MessageAction: undefined })],
      ["InvalidParameterException", () => createUser("lee", { UserAttributes: [{ Name: "shoe_size", Value: "9" }] })],
      ["NotAuthorizedException", () => createUser("lee", { UserAttributes: [{ Name: "sub", Value: "mine" }] })],
      ["AliasExistsException", () => createUser("lee", { UserAttributes: [{ Name: "email", Value: "erin@example.com" }, { Name: "email_verified", Value: "true" }] })],
      ["InvalidParameterException", () => developer.send(new ListUsersCommand({ UserPoolId: POOL, Filter: "email = erin" }))],
      ["InvalidParameterException", () => developer.send(new ListUsersCommand({ UserPoolId: POOL, Filter: 'custom:team = "a"' }))],
      ["InvalidParameterException", () => developer.send(new ListUsersCommand({ UserPoolId: POOL, Limit: 61 }))],
      ["NotAuthorizedException", () => developer.send(new AdminDeleteUserAttributesCommand({ UserPoolId: POOL, Username: "erin", UserAttributeNames: ["sub"] }))],
      ["ResourceNotFoundException", () => developer.send(new UpdateGroupCommand({ UserPoolId: POOL, GroupName: "nobody" }))],
      ["ResourceNotFoundException", () => developer.send(new DescribeUserPoolClientCommand({ UserPoolId: POOL, ClientId: "nobody" }))],
      ["ResourceNotFoundException", () => developer.send(new AdminGetUserCommand({ UserPoolId: "local_nobody", Username: "erin" }))],
      ["InvalidParameterException", () => developer.send(new AdminSetUserPasswordCommand({ UserPoolId: POOL, Username: "erin", Password: "" }))],
    ];
    const seen = [];
    for (const [, call] of refusals) seen.push(await errorOf(call()));
    expect(seen.map((error) => error.name)).toEqual(refusals.map(([name]) => name));
    expect(seen.every((error) => error.status === 400)).toBe(true);
    const after = await developer.send(new ListUsersCommand({ UserPoolId: POOL }));
    expect(after.Users).toEqual(before.Users);
    expect(await statusOf("erin")).toBe("CONFIRMED");
  });

  it("refuses Admin* calls not signed with the developer's credentials", async () => {
    const stranger = sdkClient({ accessKeyId: "AKIANOTTHEDEVELOPER1", secretAccessKey: DEVELOPER.secretAccessKey });
    try {
      expect(await errorOf(stranger.send(new AdminDeleteUserCommand({ UserPoolId: POOL, Username: "erin" })))).toMatchObject({ name: "UnrecognizedClientException", status: 403 });
    } finally {
      stranger.destroy();
    }
    expect(await statusOf("erin")).toBe("CONFIRMED");
  });
});
