/**
 * The user pools the passkey and choice-based sign-in (USER_AUTH) tests share, on one test server
 * per file, and the calls those tests make of them:
 * - `local_passkeys`: app clients `web` and `other`, first factors PASSWORD, WEB_AUTHN and
 *   EMAIL_OTP, and a pre authentication trigger that refuses users whose custom:banned is "yes";
 * - `local_passwords`: app client `plain`, passwords only.
 * The server's clock is `Date.now()` plus `skewMs`, which a test moves so challenges can expire.
 * Binds a port: the AWS SDK and Amplify send their own HTTP requests.
 *
 *   const pool = passkeyPoolForThisFile();
 *   await pool.signUpConfirmed("web", "pia");
 */
import {
  CognitoIdentityProviderClient,
  CompleteWebAuthnRegistrationCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  StartWebAuthnRegistrationCommand,
  type InitiateAuthCommandOutput,
} from "@aws-sdk/client-cognito-identity-provider";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { startTestServer, type TestServer } from "./server.js";
import { callUserPool, codeFromLog, cognitoClient, userPoolsConfig } from "./user-pool-clients.js";
import { writeTriggerModules } from "./user-pool-trigger-modules.js";
import type { SoftwareAuthenticator } from "./webauthn-authenticator.js";

/** Every test user's password. */
export const PASSWORD = "Correct-horse-9";
/** The origin the software authenticators sign for (the pools' public URL is https://passkeys.test). */
export const ORIGIN = "https://app.passkeys.test";

/** The server, an SDK client of it, its clock's skew, and the steps the tests repeat. */
export class PasskeyPool {
  server!: TestServer;
  cognito!: CognitoIdentityProviderClient;
  /** Added to `Date.now()` for the server's clock. */
  skewMs = 0;

  async start(): Promise<void> {
    const pools = [
      {
        id: "local_passkeys",
        clients: [{ id: "web" }, { id: "other" }],
        signInPolicy: { allowedFirstAuthFactors: ["PASSWORD" as const, "WEB_AUTHN" as const, "EMAIL_OTP" as const] },
        // Refuses users whose custom:banned is "yes", before any factor.
        triggers: { preAuthentication: join(writeTriggerModules(), "pre-authentication.mjs") },
      },
      { id: "local_passwords", clients: [{ id: "plain" }] },
    ];
    this.server = await startTestServer({ now: () => Date.now() + this.skewMs, config: { userPools: userPoolsConfig("https://passkeys.test", pools) } });
    this.cognito = cognitoClient(this.server.url);
  }

  async stop(): Promise<void> {
    this.cognito?.destroy();
    await this.server?.close();
  }

  /** One raw JSON 1.1 call of the user-pool API: status, `__type`, header and body. */
  call = (operation: string, body: unknown) => callUserPool((path, init) => fetch(`${this.server.url}${path}`, init), "", operation, body);

  /** Signs `username` up through `clientId` with `PASSWORD` and an email address, and confirms them with the code they were sent. */
  signUpConfirmed = async (clientId: string, username: string): Promise<void> => {
    await this.call("SignUp", { ClientId: clientId, Username: username, Password: PASSWORD, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] });
    await this.call("ConfirmSignUp", { ClientId: clientId, Username: username, ConfirmationCode: await codeFromLog(this.server.dataDir, username, "SIGN_UP") });
  };

  /** An access token of `username` from a USER_AUTH sign-in with their password. */
  accessTokenOf = async (clientId: string, username: string): Promise<string> => {
    const signedIn = await this.cognito.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: username, PREFERRED_CHALLENGE: "PASSWORD", PASSWORD } }));
    return signedIn.AuthenticationResult!.AccessToken!;
  };

  /** Registers `authenticator`'s passkey for the user of `accessToken`. */
  register = async (authenticator: SoftwareAuthenticator, accessToken: string): Promise<void> => {
    const started = await this.cognito.send(new StartWebAuthnRegistrationCommand({ AccessToken: accessToken }));
    await this.cognito.send(new CompleteWebAuthnRegistrationCommand({ AccessToken: accessToken, Credential: authenticator.create(started.CredentialCreationOptions) as never }));
  };

  /** A USER_AUTH sign-in of `username` preferring WEB_AUTHN: the challenge to answer with an assertion. */
  passkeyChallenge = (username: string, clientId = "web") =>
    this.cognito.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: "USER_AUTH", AuthParameters: { USERNAME: username, PREFERRED_CHALLENGE: "WEB_AUTHN" } }));

  /** Answers a WEB_AUTHN challenge with `credential` (an assertion). */
  answerPasskey = (challenge: InitiateAuthCommandOutput, username: string, credential: unknown) =>
    this.cognito.send(
      new RespondToAuthChallengeCommand({ ClientId: "web", ChallengeName: "WEB_AUTHN", Session: challenge.Session, ChallengeResponses: { USERNAME: username, CREDENTIAL: JSON.stringify(credential) } }),
    );
}

/** A `PasskeyPool` started before the file's first test and stopped after its last; call it at the top of the file. */
export function passkeyPoolForThisFile(): PasskeyPool {
  const pool = new PasskeyPool();
  beforeAll(() => pool.start());
  afterAll(() => pool.stop());
  return pool;
}

/** The WebAuthn request options of a WEB_AUTHN challenge. */
export const requestOptions = (challenge: InitiateAuthCommandOutput) => JSON.parse(challenge.ChallengeParameters!["CREDENTIAL_REQUEST_OPTIONS"]!);

/** The exception name a call was refused with, or "no error". */
export async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "no error";
  } catch (error) {
    return (error as { name: string }).name;
  }
}
