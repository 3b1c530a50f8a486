/**
 * Two DataStore apps in `userPool` mode against one test server: the server serves `schema` as the
 * `default` pool's models (AUTOMERGE) beside the built-in user pool; `alice` (in the `Admin` group)
 * and `bob` sign up, confirm with the code the pool writes without SMTP, sign in with Amplify Auth
 * in their own app processes (datastore-user-pool-device.cjs) and start DataStore.
 *
 *   const pair = await startUserPoolPair(SCHEMA);
 *   await pair.alice.run("save", { model: "Diary", fields: { entry: "dear diary" } });
 *   await pair.close();
 */
import { AdminAddUserToGroupCommand, CreateGroupCommand, type CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { expect } from "vitest";
import { startUserPoolDevice, type Device } from "./datastore-device.js";
import type { TestServer } from "./server.js";
import { codeFromLog } from "./user-pool-clients.js";
import { startUserPoolSdkServer } from "./user-pool-sdk-server.js";

const DEVELOPER = { accessKeyId: "AKIADATASTOREUSERPOOLPAIR", secretAccessKey: "datastore-user-pool-pair-developer-secret" };
const PASSWORD = "Correct-horse-9";

export interface UserPoolPair {
  server: TestServer;
  /** The pool's developer credentials through the real SDK (Admin* operations). */
  developer: CognitoIdentityProviderClient;
  /** Signed in and started; a member of `Admin`. */
  alice: Device;
  /** Signed in and started; in no group. */
  bob: Device;
  close(): Promise<void>;
}

export async function startUserPoolPair(schema: string): Promise<UserPoolPair> {
  const pool = await startUserPoolSdkServer({ developerCredentials: DEVELOPER, identityPool: { models: { schema, conflictHandler: "AUTOMERGE" } } });
  const { server, developer } = pool;
  const devices: Device[] = [];
  const close = async () => {
    for (const device of devices) device.kill();
    await pool.close();
  };
  try {
    await developer.send(new CreateGroupCommand({ UserPoolId: "local_default", GroupName: "Admin" }));
    const endpoint = `${server.url}/appsync/default/graphql`;
    const [alice, bob] = await Promise.all([startUserPoolDevice(endpoint, `${server.url}/aws/cognito-idp`), startUserPoolDevice(endpoint, `${server.url}/aws/cognito-idp`)]);
    devices.push(alice, bob);
    const signUpAndIn = async (app: Device, username: string, groups: string[]) => {
      await app.run("signUp", { username, password: PASSWORD, email: `${username}@example.com` });
      // Written before SignUp answers (no SMTP configured: the pool's code log).
      const code = await codeFromLog(server.dataDir, username, "SIGN_UP");
      if (code === null) throw new Error(`no sign-up code was written for ${username}`);
      await app.run("confirmSignUp", { username, code });
      for (const group of groups) await developer.send(new AdminAddUserToGroupCommand({ UserPoolId: "local_default", Username: username, GroupName: group }));
      expect(await app.run("signIn", { username, password: PASSWORD })).toMatchObject({ isSignedIn: true });
    };
    await signUpAndIn(alice, "alice", ["Admin"]);
    await signUpAndIn(bob, "bob", []);
    await Promise.all([alice.run("start"), bob.run("start")]);
    return { server, developer, alice, bob, close };
  } catch (error) {
    await close();
    throw error;
  }
}
