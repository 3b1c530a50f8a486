/**
 * The built-in user pool through the real `@aws-sdk/client-cognito-identity-provider`, configured
 * only with an `endpoint`: sign-up and confirmation with the code the server delivered, password
 * sign-in, the user's attributes, refresh-token rotation with reuse detection, RevokeToken and
 * GlobalSignOut; the tokens verify with jose and aws-jwt-verify against the pool's own JWKS.
 * Binds a port: the AWS SDK client sends its own HTTP requests to an endpoint URL.
 */
import {
  ChangePasswordCommand,
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  DeleteUserCommand,
  GetTokensFromRefreshTokenCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  RevokeTokenCommand,
  SignUpCommand,
  UpdateUserAttributesCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { JwtVerifier } from "aws-jwt-verify";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { codeFromLog, userPoolsConfig } from "../helpers/user-pool-clients.js";

const POOL = "local_default";
const CLIENT = "default";
const PASSWORD = "Correct-horse-9";

let server: TestServer;
let cognito: CognitoIdentityProviderClient;
let issuer: string;

beforeAll(async () => {
  // The issuer is the configured public URL; the test reaches the same routes at the server's port.
  server = await startTestServer({ config: { userPools: userPoolsConfig("http://user-pool.test") } });
  issuer = `http://user-pool.test/aws/cognito-idp/${POOL}`;
  cognito = new CognitoIdentityProviderClient({ region: "local", endpoint: `${server.url}/aws/cognito-idp`, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
});
afterAll(async () => {
  cognito?.destroy();
  await server?.close();
});

/** Signs `username` up and confirms it with the delivered code; returns its sub. */
async function signUpConfirmed(username: string, email: string): Promise<string> {
  const signedUp = await cognito.send(
    new SignUpCommand({ ClientId: CLIENT, Username: username, Password: PASSWORD, UserAttributes: [{ Name: "email", Value: email }, { Name: "custom:plan", Value: "family" }] }),
  );
  expect(signedUp).toMatchObject({ UserConfirmed: false, CodeDeliveryDetails: { DeliveryMedium: "EMAIL", AttributeName: "email" } });
  const code = await codeFromLog(server.dataDir, username, "SIGN_UP");
  await cognito.send(new ConfirmSignUpCommand({ ClientId: CLIENT, Username: username, ConfirmationCode: code! }));
  return signedUp.UserSub!;
}

const passwordSignIn = (username: string, password = PASSWORD) =>
  cognito.send(new InitiateAuthCommand({ ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD: password } }));

describe("user pool through the AWS SDK", { timeout: 30_000 }, () => {
  it("signs up, confirms with the delivered code, signs in by username or verified email and reads the user", async () => {
    const sub = await signUpConfirmed("alice", "alice@example.com");
    const byName = await passwordSignIn("alice");
    expect(byName.AuthenticationResult).toMatchObject({ TokenType: "Bearer", ExpiresIn: 3600 });
    const byEmail = await passwordSignIn("alice@example.com");
    const user = await cognito.send(new GetUserCommand({ AccessToken: byEmail.AuthenticationResult!.AccessToken! }));
    expect(user.Username).toBe("alice");
    expect(Object.fromEntries(user.UserAttributes!.map((attribute) => [attribute.Name, attribute.Value]))).toEqual({
      sub,
      email: "alice@example.com",
      email_verified: "true",
      "custom:plan": "family",
    });
  });

  it("issues tokens with Cognito's claims that jose and aws-jwt-verify accept from the pool's JWKS", async () => {
    await signUpConfirmed("bob", "bob@example.com");
    const { AuthenticationResult: tokens } = await passwordSignIn("bob");
    const discovery = (await (await fetch(`${server.url}/aws/cognito-idp/${POOL}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    expect(discovery).toMatchObject({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json` });
    const jwksUrl = `${server.url}/aws/cognito-idp/${POOL}/.well-known/jwks.json`;
    const keySet = createRemoteJWKSet(new URL(jwksUrl));
    const { payload: id } = await jwtVerify(tokens!.IdToken!, keySet, { issuer, audience: CLIENT, algorithms: ["RS256"] });
    expect(id).toMatchObject({ token_use: "id", "cognito:username": "bob", email: "bob@example.com", email_verified: true, "custom:plan": "family", aud: CLIENT });
    const { payload: access } = await jwtVerify(tokens!.AccessToken!, keySet, { issuer, algorithms: ["RS256"] });
    expect(access).toMatchObject({ token_use: "access", client_id: CLIENT, username: "bob", scope: "aws.cognito.signin.user.admin", origin_jti: id["origin_jti"] });
    expect(access["aud"]).toBeUndefined();
    expect(typeof access["iat"]).toBe("number");
    expect(decodeProtectedHeader(tokens!.IdToken!)).toMatchObject({ alg: "RS256", kid: expect.any(String) });

    const jwks = await (await fetch(jwksUrl)).json();
    const idVerifier = JwtVerifier.create({ issuer, audience: CLIENT, jwksUri: `${issuer}/.well-known/jwks.json` });
    idVerifier.cacheJwks(jwks as never);
    await expect(idVerifier.verify(tokens!.IdToken!)).resolves.toMatchObject({ token_use: "id", sub: id.sub });
    const accessVerifier = JwtVerifier.create({ issuer, audience: null, jwksUri: `${issuer}/.well-known/jwks.json`, customJwtCheck: ({ payload }) => expect(payload["client_id"]).toBe(CLIENT) });
    accessVerifier.cacheJwks(jwks as never);
    await expect(accessVerifier.verify(tokens!.AccessToken!)).resolves.toMatchObject({ token_use: "access" });
  });

  it("rotates the refresh token on each refresh and revokes the whole session when a replaced one is presented again", async () => {
    await signUpConfirmed("carol", "carol@example.com");
    const first = (await passwordSignIn("carol")).AuthenticationResult!;
    const second = (await cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: CLIENT, RefreshToken: first.RefreshToken! }))).AuthenticationResult!;
    expect(second.RefreshToken).toBeDefined();
    expect(second.RefreshToken).not.toBe(first.RefreshToken);
    await expect(cognito.send(new GetUserCommand({ AccessToken: second.AccessToken! }))).resolves.toMatchObject({ Username: "carol" });
    await expect(cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: CLIENT, RefreshToken: first.RefreshToken! }))).rejects.toMatchObject({
      name: "RefreshTokenReuseException",
    });
    // The family is gone: the current refresh token and the access tokens of the session with it.
    await expect(cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: CLIENT, RefreshToken: second.RefreshToken! }))).rejects.toMatchObject({
      name: "NotAuthorizedException",
      message: "Refresh Token has been revoked",
    });
    await expect(cognito.send(new GetUserCommand({ AccessToken: second.AccessToken! }))).rejects.toMatchObject({ name: "NotAuthorizedException", message: "Access Token has been revoked" });
  });

  it("ends one session with RevokeToken and every session with GlobalSignOut, at once", async () => {
    await signUpConfirmed("dave", "dave@example.com");
    const phone = (await passwordSignIn("dave")).AuthenticationResult!;
    const laptop = (await passwordSignIn("dave")).AuthenticationResult!;
    const tablet = (await passwordSignIn("dave")).AuthenticationResult!;
    await cognito.send(new RevokeTokenCommand({ ClientId: CLIENT, Token: phone.RefreshToken! }));
    await expect(cognito.send(new GetUserCommand({ AccessToken: phone.AccessToken! }))).rejects.toMatchObject({ name: "NotAuthorizedException" });
    await expect(cognito.send(new GetUserCommand({ AccessToken: laptop.AccessToken! }))).resolves.toMatchObject({ Username: "dave" });
    await cognito.send(new GlobalSignOutCommand({ AccessToken: laptop.AccessToken! }));
    for (const tokens of [laptop, tablet]) {
      await expect(cognito.send(new GetUserCommand({ AccessToken: tokens.AccessToken! }))).rejects.toMatchObject({ name: "NotAuthorizedException" });
      await expect(cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: CLIENT, RefreshToken: tokens.RefreshToken! }))).rejects.toMatchObject({
        name: "NotAuthorizedException",
      });
    }
  });

  it("changes the password and attributes of a signed-in user, and deletes the user", async () => {
    await signUpConfirmed("erin", "erin@example.com");
    const tokens = (await passwordSignIn("erin")).AuthenticationResult!;
    await expect(cognito.send(new ChangePasswordCommand({ AccessToken: tokens.AccessToken!, PreviousPassword: "Wrong-horse-9", ProposedPassword: "Second-horse-7" }))).rejects.toMatchObject({
      name: "NotAuthorizedException",
    });
    await cognito.send(new ChangePasswordCommand({ AccessToken: tokens.AccessToken!, PreviousPassword: PASSWORD, ProposedPassword: "Second-horse-7" }));
    await expect(passwordSignIn("erin")).rejects.toMatchObject({ name: "NotAuthorizedException", message: "Incorrect username or password." });
    const again = (await passwordSignIn("erin", "Second-horse-7")).AuthenticationResult!;
    const updated = await cognito.send(new UpdateUserAttributesCommand({ AccessToken: again.AccessToken!, UserAttributes: [{ Name: "email", Value: "erin@new.example" }, { Name: "name", Value: "Erin" }] }));
    expect(updated.CodeDeliveryDetailsList).toEqual([{ Destination: "e***@n***", DeliveryMedium: "EMAIL", AttributeName: "email" }]);
    const user = await cognito.send(new GetUserCommand({ AccessToken: again.AccessToken! }));
    expect(user.UserAttributes).toEqual(expect.arrayContaining([{ Name: "email_verified", Value: "false" }, { Name: "name", Value: "Erin" }]));
    await cognito.send(new DeleteUserCommand({ AccessToken: again.AccessToken! }));
    await expect(passwordSignIn("erin", "Second-horse-7")).rejects.toMatchObject({ name: "NotAuthorizedException" });
  });
});
