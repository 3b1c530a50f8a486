/**
 * User-pool groups end to end, through the real `@aws-sdk/client-cognito-identity-provider`: the
 * pool's developer creates groups and adds users with SigV4-signed calls (the identity pool's
 * developer credentials); the user's tokens then carry `cognito:groups`, `cognito:roles` and
 * `cognito:preferred_role` (checked with jose against the pool's JWKS); signing in to the linked
 * identity pool with the ID token gets the role chosen from the token and admits the user to a
 * shared dataset of its group, while a user outside the group is refused. Refusals carry Cognito's
 * exception names. Binds a port: the SDK sends its own HTTP requests to an endpoint URL.
 */
import {
  AdminAddUserToGroupCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  DeleteGroupCommand,
  GetGroupCommand,
  InitiateAuthCommand,
  ListGroupsCommand,
  ListUsersInGroupCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../helpers/server.js";
import { callUserPool, cognitoClient } from "../helpers/user-pool-clients.js";
import { startUserPoolSdkServer, type UserPoolSdkServer, type UserPoolSdkServerOptions } from "../helpers/user-pool-sdk-server.js";

const POOL = "local_default";
const CLIENT = "default";
const PASSWORD = "Correct-horse-9";
const DEVELOPER = { accessKeyId: "AKIAUSERPOOLGROUPS01", secretAccessKey: "user-pool-groups-developer-secret-0123456789" };
const ADMIN_ROLE = "arn:aws:iam::000000000000:role/admin";
const EDITOR_ROLE = "arn:aws:iam::000000000000:role/editor";
const PUSH = `mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }`;

let pool: UserPoolSdkServer;
let server: TestServer;
let cognito: CognitoIdentityProviderClient;
let developer: CognitoIdentityProviderClient;

const sdkClient = (credentials?: { accessKeyId: string; secretAccessKey: string }) => cognitoClient(server.url, credentials);

beforeAll(async () => {
  const identityPool: UserPoolSdkServerOptions["identityPool"] = {
    roles: {
      member: { policies: [{ effect: "allow", actions: ["read", "write"], datasets: ["*"] }] },
      editor: { policies: [{ effect: "allow", actions: ["read", "write", "configure"], datasets: ["*"] }] },
      admin: { policies: [{ effect: "allow", actions: ["read", "write", "delete", "configure"], datasets: ["*"] }] },
    },
    guestRole: "member",
    authenticatedRole: "member",
    sharedDatasets: [{ name: "family-*", owner: "group:family", read: ["group:family"], write: ["group:family"] }],
  };
  pool = await startUserPoolSdkServer({ developerCredentials: DEVELOPER, identityPool });
  ({ server, cognito, developer } = pool);
});
afterAll(async () => pool?.close());

const signUpConfirmed = (username: string) => pool.signUpConfirmed(username, PASSWORD, CLIENT);

async function idTokenOf(username: string): Promise<string> {
  const signedIn = await cognito.send(new InitiateAuthCommand({ ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD } }));
  return signedIn.AuthenticationResult!.IdToken!;
}

/** Signs in to identity pool `default` with the user's ID token; returns the syncpool token. */
async function identitySignIn(idToken: string): Promise<string> {
  const { data, errors } = await server.gql(`mutation ($input: SignInInput!) { signIn(input: $input) { token } }`, {
    input: { identityPoolId: "default", logins: [{ provider: `cognito-idp.local.amazonaws.com/${POOL}`, token: idToken }] },
  });
  if (!data?.signIn) throw new Error(JSON.stringify(errors));
  return data.signIn.token as string;
}

const errorName = (promise: Promise<unknown>) => promise.then(() => "resolved", (error: { name: string }) => error.name);

describe("user-pool groups", { timeout: 30_000 }, () => {
  beforeAll(async () => {
    await developer.send(new CreateGroupCommand({ UserPoolId: POOL, GroupName: "family", Description: "Our family", RoleArn: EDITOR_ROLE, Precedence: 5 }));
    await developer.send(new CreateGroupCommand({ UserPoolId: POOL, GroupName: "admins", RoleArn: ADMIN_ROLE, Precedence: 1 }));
    await signUpConfirmed("carol");
    await signUpConfirmed("dave");
  });

  it("creates, reads and lists groups with Cognito's fields", async () => {
    const { Group } = await developer.send(new GetGroupCommand({ UserPoolId: POOL, GroupName: "family" }));
    expect(Group).toMatchObject({ GroupName: "family", UserPoolId: POOL, Description: "Our family", RoleArn: EDITOR_ROLE, Precedence: 5 });
    expect(Group!.CreationDate).toBeInstanceOf(Date);
    const firstPage = await developer.send(new ListGroupsCommand({ UserPoolId: POOL, Limit: 1 }));
    expect(firstPage.Groups!.map((group) => group.GroupName)).toEqual(["admins"]);
    const secondPage = await developer.send(new ListGroupsCommand({ UserPoolId: POOL, NextToken: firstPage.NextToken! }));
    expect(secondPage.Groups!.map((group) => group.GroupName)).toEqual(["family"]);
  });

  it("puts a member's groups and roles in its tokens, the preferred role being the lowest precedence's", async () => {
    await developer.send(new AdminAddUserToGroupCommand({ UserPoolId: POOL, GroupName: "family", Username: "carol" }));
    await developer.send(new AdminAddUserToGroupCommand({ UserPoolId: POOL, GroupName: "admins", Username: "carol@example.com" }));
    const listed = await developer.send(new AdminListGroupsForUserCommand({ UserPoolId: POOL, Username: "carol" }));
    expect(listed.Groups!.map((group) => group.GroupName)).toEqual(["admins", "family"]);
    const members = await developer.send(new ListUsersInGroupCommand({ UserPoolId: POOL, GroupName: "family" }));
    expect(members.Users!.map((user) => user.Username)).toEqual(["carol"]);

    const signedIn = await cognito.send(new InitiateAuthCommand({ ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "carol", PASSWORD } }));
    const jwks = createLocalJWKSet((await (await fetch(`${server.url}/aws/cognito-idp/${POOL}/.well-known/jwks.json`)).json()) as JSONWebKeySet);
    const { payload: id } = await jwtVerify(signedIn.AuthenticationResult!.IdToken!, jwks, { issuer: `http://user-pool.test/aws/cognito-idp/${POOL}` });
    const { payload: access } = await jwtVerify(signedIn.AuthenticationResult!.AccessToken!, jwks);
    expect(id).toMatchObject({ "cognito:groups": ["admins", "family"], "cognito:roles": [ADMIN_ROLE, EDITOR_ROLE], "cognito:preferred_role": ADMIN_ROLE });
    expect(access["cognito:groups"]).toEqual(["admins", "family"]);
    expect(access["cognito:roles"]).toBeUndefined();

    const dave = decodeJwt(await idTokenOf("dave"));
    expect(dave["cognito:groups"]).toBeUndefined();
  });

  it("gives the identity-pool role chosen from the token, and the authenticated role to a user without groups", async () => {
    expect(decodeJwt(await identitySignIn(await idTokenOf("carol")))["role"]).toBe("admin");
    expect(decodeJwt(await identitySignIn(await idTokenOf("dave")))["role"]).toBe("member");
    await developer.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: POOL, GroupName: "admins", Username: "carol" }));
    expect(decodeJwt(await identitySignIn(await idTokenOf("carol")))["role"]).toBe("editor");
  });

  it("admits a member of the user-pool group to the group's shared dataset and refuses a non-member", async () => {
    const push = (token: string, mutationId: string) =>
      server.gql(PUSH, { input: { dataset: "family-list", shared: true, deviceId: "device", mutationId, patches: [{ op: "REPLACE", key: "milk", value: "2" }] } }, token);
    const member = await push(await identitySignIn(await idTokenOf("carol")), "m1");
    expect(member.errors).toBeUndefined();
    expect(member.data.pushRecords.datasetSyncCount).toBe(1);
    const outsider = await push(await identitySignIn(await idTokenOf("dave")), "m2");
    expect(outsider.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", reason: "SHARED_DENIED" });
  });

  it("refuses an unknown group, a duplicate group and an unknown user with Cognito's exception names", async () => {
    expect(await errorName(developer.send(new GetGroupCommand({ UserPoolId: POOL, GroupName: "nobody" })))).toBe("ResourceNotFoundException");
    expect(await errorName(developer.send(new AdminAddUserToGroupCommand({ UserPoolId: POOL, GroupName: "nobody", Username: "carol" })))).toBe("ResourceNotFoundException");
    expect(await errorName(developer.send(new DeleteGroupCommand({ UserPoolId: POOL, GroupName: "nobody" })))).toBe("ResourceNotFoundException");
    expect(await errorName(developer.send(new CreateGroupCommand({ UserPoolId: POOL, GroupName: "family" })))).toBe("GroupExistsException");
    expect(await errorName(developer.send(new AdminAddUserToGroupCommand({ UserPoolId: POOL, GroupName: "family", Username: "nobody" })))).toBe("UserNotFoundException");
    expect(await errorName(developer.send(new CreateGroupCommand({ UserPoolId: POOL, GroupName: "bad-role", RoleArn: "not-an-arn-at-all-really" })))).toBe("InvalidParameterException");
  });

  it("refuses unsigned and wrongly signed developer calls, changing nothing", async () => {
    const unsigned = await callUserPool(fetch, server.url, "CreateGroup", { UserPoolId: POOL, GroupName: "sneaky" });
    expect(unsigned).toMatchObject({ status: 403, type: "MissingAuthenticationTokenException", header: "MissingAuthenticationTokenException" });
    const wrongSecret = sdkClient({ accessKeyId: DEVELOPER.accessKeyId, secretAccessKey: "not-the-developer-secret-0123456789abcdef" });
    const wrongKey = sdkClient({ accessKeyId: "AKIANOTTHEDEVELOPER1", secretAccessKey: DEVELOPER.secretAccessKey });
    try {
      expect(await errorName(wrongSecret.send(new CreateGroupCommand({ UserPoolId: POOL, GroupName: "sneaky" })))).toBe("InvalidSignatureException");
      expect(await errorName(wrongKey.send(new CreateGroupCommand({ UserPoolId: POOL, GroupName: "sneaky" })))).toBe("UnrecognizedClientException");
    } finally {
      wrongSecret.destroy();
      wrongKey.destroy();
    }
    expect(await errorName(developer.send(new GetGroupCommand({ UserPoolId: POOL, GroupName: "sneaky" })))).toBe("ResourceNotFoundException");
  });

  it("deletes a group with its memberships", async () => {
    await developer.send(new CreateGroupCommand({ UserPoolId: POOL, GroupName: "temporary" }));
    await developer.send(new AdminAddUserToGroupCommand({ UserPoolId: POOL, GroupName: "temporary", Username: "dave" }));
    await developer.send(new DeleteGroupCommand({ UserPoolId: POOL, GroupName: "temporary" }));
    const listed = await developer.send(new AdminListGroupsForUserCommand({ UserPoolId: POOL, Username: "dave" }));
    expect(listed.Groups).toEqual([]);
  });
});
