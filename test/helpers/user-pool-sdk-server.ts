/**
 * A test server with the built-in user pool linked to identity pool `default`, and the real
 * `@aws-sdk/client-cognito-identity-provider` pointed at it twice: unsigned, as an app calls the
 * pool, and SigV4-signed with the identity pool's developer credentials, as the Admin* and group
 * operations require. Binds a port: the SDK sends its own HTTP requests to an endpoint URL.
 *
 *   const pool = await startUserPoolSdkServer({ developerCredentials: DEVELOPER });
 *   await pool.signUpConfirmed("amy", PASSWORD);
 *   await pool.developer.send(new AdminGetUserCommand({ UserPoolId: "local_default", Username: "amy" }));
 *   await pool.close();
 */
import { CognitoIdentityProviderClient, ConfirmSignUpCommand, SignUpCommand } from "@aws-sdk/client-cognito-identity-provider";
import { poolSettingsSchema, type PoolSettingsInput } from "../../server/identity/pool-settings.js";
import type { UserPoolSettingsInput } from "../../server/user-pool/user-pool-config.js";
import { startTestServer, type TestServer, type TestServerOptions } from "./server.js";
import { codeFromLog, cognitoClient, userPoolsConfig } from "./user-pool-clients.js";

/** An AWS access key pair. */
export interface KeyPair {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface UserPoolSdkServerOptions {
  /** Identity pool `default`'s developer credentials: what `developer` signs with. */
  developerCredentials: KeyPair;
  /** More settings of identity pool `default` (roles, shared datasets...). */
  identityPool?: Omit<PoolSettingsInput, "id" | "developerCredentials">;
  /** The user pools; `local_default` with client `default` when not given. */
  userPools?: UserPoolSettingsInput[];
  /** More of the server's config (an admin token...). */
  config?: NonNullable<TestServerOptions["config"]>;
  /** More options for the server (stream handlers...). */
  serverOptions?: TestServerOptions["serverOptions"];
}

export interface UserPoolSdkServer {
  server: TestServer;
  /** Unsigned: the calls an app makes. */
  cognito: CognitoIdentityProviderClient;
  /** Signed with the developer credentials. */
  developer: CognitoIdentityProviderClient;
  /** Signs `username` up through `cognito` (email `<username>@example.com`) and confirms it with the code the pool wrote. */
  signUpConfirmed(username: string, password: string, clientId?: string): Promise<void>;
  /** Destroys both clients and stops the server. */
  close(): Promise<void>;
}

/** Starts the server and builds the two SDK clients. */
export async function startUserPoolSdkServer(options: UserPoolSdkServerOptions): Promise<UserPoolSdkServer> {
  const identityPool = poolSettingsSchema.parse({ ...options.identityPool, id: "default", developerCredentials: options.developerCredentials });
  const server = await startTestServer({
    config: { ...options.config, userPools: userPoolsConfig("http://user-pool.test", options.userPools), pools: [identityPool] },
    ...(options.serverOptions ? { serverOptions: options.serverOptions } : {}),
  });
  const cognito = cognitoClient(server.url);
  // A copy: the SDK marks the credentials object it is given ($source), and the caller's may be parsed as pool settings again.
  const developer = cognitoClient(server.url, { ...options.developerCredentials });
  const signUpConfirmed = async (username: string, password: string, clientId = "default") => {
    await cognito.send(new SignUpCommand({ ClientId: clientId, Username: username, Password: password, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] }));
    const code = await codeFromLog(server.dataDir, username, "SIGN_UP");
    if (code === null) throw new Error(`no sign-up code was written for ${username}`);
    await cognito.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: username, ConfirmationCode: code }));
  };
  const close = async () => {
    cognito.destroy();
    developer.destroy();
    await server.close();
  };
  return { server, cognito, developer, signUpConfirmed, close };
}
