/**
 * `syncpool users …` run as an operator runs it, a child process on a running server's data
 * directory: create a user (who must choose a password at first sign-in), list with a filter,
 * disable (sign-in refused at once by the running server), export with a passphrase, and import
 * into another server's directory, where the user signs in with the same password and `sub`.
 * Six child processes: one per command kind, and one for an operator's mistake.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CognitoIdentityProviderClient, InitiateAuthCommand, RespondToAuthChallengeCommand } from "@aws-sdk/client-cognito-identity-provider";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { userPoolsConfig } from "../helpers/user-pool-clients.js";

const POOL = "local_default";
const PASSWORD = "Correct-horse-9";

let source: TestServer;
let target: TestServer;

const users = (server: TestServer, args: string[]) => runCli(["users", ...args, "--pool", POOL, "--data-dir", server.dataDir]);
const signIn = async (server: TestServer, username: string, password: string) => {
  const client = new CognitoIdentityProviderClient({ region: "local", endpoint: `${server.url}/aws/cognito-idp`, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
  try {
    return await client.send(new InitiateAuthCommand({ ClientId: "default", AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD: password } }));
  } finally {
    client.destroy();
  }
};

beforeAll(async () => {
  source = await startTestServer({ config: { userPools: userPoolsConfig("http://user-pool.test") } });
  target = await startTestServer({ config: { userPools: userPoolsConfig("http://user-pool.test") } });
});
afterAll(async () => {
  await source?.close();
  await target?.close();
});

describe("syncpool users", { timeout: 120_000 }, () => {
  it("creates, lists, disables, exports and imports users from the command line", async () => {
    const created = await users(source, ["create", "--username", "bob", "--email", "bob@example.com"]);
    expect(created.code).toBe(0);
    const bob = JSON.parse(created.stdout) as { username: string; sub: string; status: string; temporaryPassword: string };
    expect(bob).toMatchObject({ username: "bob", status: "FORCE_CHANGE_PASSWORD" });

    // The running server sees the new user: the temporary password asks for a new one.
    const first = await signIn(source, "bob", bob.temporaryPassword);
    expect(first.ChallengeName).toBe("NEW_PASSWORD_REQUIRED");
    const client = new CognitoIdentityProviderClient({ region: "local", endpoint: `${source.url}/aws/cognito-idp`, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
    await client.send(new RespondToAuthChallengeCommand({ ClientId: "default", ChallengeName: "NEW_PASSWORD_REQUIRED", Session: first.Session!, ChallengeResponses: { USERNAME: "bob", NEW_PASSWORD: PASSWORD } }));
    client.destroy();

    const listed = await users(source, ["list", "--filter", 'email ^= "bob@"']);
    expect(listed.stdout.trim().split("\n").map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ username: "bob", sub: bob.sub, status: "CONFIRMED", enabled: true, attributes: { email: "bob@example.com", email_verified: "true" } }),
    ]);

    const disabled = await users(source, ["disable", "bob"]);
    expect(JSON.parse(disabled.stdout)).toEqual({ username: "bob", disabled: true });
    await expect(signIn(source, "bob", PASSWORD)).rejects.toMatchObject({ name: "NotAuthorizedException", message: "User is disabled." });

    const passphraseFile = join(source.dataDir, "export-passphrase.txt");
    writeFileSync(passphraseFile, "correct horse battery staple\n", { mode: 0o600 });
    const exported = await users(source, ["export", "--passphrase-file", passphraseFile]);
    expect(exported.code).toBe(0);
    const exportFile = join(target.dataDir, "users.jsonl");
    writeFileSync(exportFile, exported.stdout);
    expect(exported.stdout.split("\n")[0]).toContain('"syncpoolUsers":1');

    const imported = await users(target, ["import", exportFile, "--passphrase-file", passphraseFile]);
    expect(imported.stderr).toBe("");
    expect([imported.code, JSON.parse(imported.stdout)]).toEqual([0, { imported: 1, groupsCreated: 0, skipped: [], withoutSrpVerifier: 0 }]);
    // Disabled it was exported, disabled it arrives.
    await expect(signIn(target, "bob", PASSWORD)).rejects.toMatchObject({ name: "NotAuthorizedException", message: "User is disabled." });
    await target.storage.userPools.updateUser(POOL, bob.sub, { enabled: true, updatedAt: Date.now() });
    const moved = await signIn(target, "bob", PASSWORD);
    expect(decodeJwt(moved.AuthenticationResult!.IdToken!).sub).toBe(bob.sub);
  });

  it("says plainly when the pool is unknown", async () => {
    const result = await runCli(["users", "list", "--pool", "local_nobody", "--data-dir", source.dataDir]);
    expect([result.code, result.stderr]).toEqual([1, expect.stringContaining('no user pool "local_nobody"')]);
  });
});
