/**
 * AdminInitiateAuth and AdminRespondToAuthChallenge through the real
 * `@aws-sdk/client-cognito-identity-provider`, signed with the linked identity pool's developer
 * credentials: ADMIN_USER_PASSWORD_AUTH signs a user in, a wrong password and an unsigned call are
 * refused with Cognito's exceptions, and a created user's NEW_PASSWORD_REQUIRED is answered by the
 * developer. Binds a port: the SDK sends its own HTTP requests to an endpoint URL.
 */
import {
  AdminCreateUserCommand,
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  AdminSetUserPasswordCommand,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { callUserPool, cognitoClient, userPoolsConfig } from "../helpers/user-pool-clients.js";

const POOL = "local_default";
const DEVELOPER = { accessKeyId: "AKIAADMININITIATE001", secretAccessKey: "admin-initiate-auth-developer-secret-0123" };

let server: TestServer;
let developer: CognitoIdentityProviderClient;

beforeAll(async () => {
  const identityPool = poolSettingsSchema.parse({ id: "default", developerCredentials: DEVELOPER });
  server = await startTestServer({ config: { userPools: userPoolsConfig("http://user-pool.test"), pools: [identityPool] } });
  developer = cognitoClient(server.url, DEVELOPER);
});
afterAll(async () => {
  developer?.destroy();
  await server?.close();
});

const nameOf = (promise: Promise<unknown>) => promise.then(() => "resolved", (error: { name: string }) => error.name);
const adminSignIn = (client: CognitoIdentityProviderClient, username: string, password: string) =>
  client.send(new AdminInitiateAuthCommand({ UserPoolId: POOL, ClientId: "default", AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD: password } }));

describe("AdminInitiateAuth", { timeout: 60_000 }, () => {
  it("signs a user in with ADMIN_USER_PASSWORD_AUTH and refuses a wrong password and an unsigned call", async () => {
    await developer.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: "ada", MessageAction: "SUPPRESS", TemporaryPassword: "Temporary-pass-1" }));
    await developer.send(new AdminSetUserPasswordCommand({ UserPoolId: POOL, Username: "ada", Password: "Correct-horse-9", Permanent: true }));
    const { AuthenticationResult: tokens } = await adminSignIn(developer, "ada", "Correct-horse-9");
    expect(JSON.parse(Buffer.from(tokens!.IdToken!.split(".")[1]!, "base64url").toString())).toMatchObject({ "cognito:username": "ada", token_use: "id" });
    expect(await nameOf(adminSignIn(developer, "ada", "Wrong-horse-9"))).toBe("NotAuthorizedException");
    expect(await nameOf(adminSignIn(developer, "nobody", "Wrong-horse-9"))).toBe("NotAuthorizedException");
    const raw = await callUserPool(fetch, server.url, "AdminInitiateAuth", { UserPoolId: POOL, ClientId: "default", AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "ada", PASSWORD: "Correct-horse-9" } });
    expect(raw).toMatchObject({ status: 403, type: "MissingAuthenticationTokenException" });
  });

  it("answers a created user's NEW_PASSWORD_REQUIRED through AdminRespondToAuthChallenge", async () => {
    await developer.send(new AdminCreateUserCommand({ UserPoolId: POOL, Username: "bea", MessageAction: "SUPPRESS", TemporaryPassword: "Temporary-pass-1" }));
    const asked = await adminSignIn(developer, "bea", "Temporary-pass-1");
    expect(asked.ChallengeName).toBe("NEW_PASSWORD_REQUIRED");
    const answered = await developer.send(
      new AdminRespondToAuthChallengeCommand({ UserPoolId: POOL, ClientId: "default", ChallengeName: "NEW_PASSWORD_REQUIRED", Session: asked.Session!, ChallengeResponses: { USERNAME: "bea", NEW_PASSWORD: "Chosen-pass-22" } }),
    );
    expect(answered.AuthenticationResult?.AccessToken).toEqual(expect.any(String));
    expect((await adminSignIn(developer, "bea", "Chosen-pass-22")).AuthenticationResult?.IdToken).toEqual(expect.any(String));
  });
});
