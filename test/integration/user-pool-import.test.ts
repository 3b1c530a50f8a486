/**
 * Moving users between servers: export every user of a pool from one server (SQLite) with a
 * passphrase, import into another on PostgreSQL, and sign in there by SRP with
 * amazon-cognito-identity-js with the old password; groups, attributes, `sub` and the TOTP secret
 * come along. Then foreign hashes, each made in the test with the real algorithm (bcrypt,
 * argon2i, PBKDF2 over three digests, scrypt, Firebase's scrypt): SRP answers
 * PasswordResetRequiredException until a USER_PASSWORD_AUTH sign-in, which rehashes to argon2id
 * and makes SRP work. A wrong passphrase imports nothing. Binds ports: the clients send HTTP.
 *
 * amazon-cognito-identity-js signs in once, for the moved verifier: its big-number SRP costs about a
 * quarter of a CPU-second a sign-in, and a third of that before it learns that SRP is refused. The refusals
 * are therefore asked for with InitiateAuth alone, and the later SRP sign-ins (a verifier made by a
 * password sign-in) use `srp-answer.ts`, whose arithmetic is OpenSSL's; user-pool-srp.test.ts
 * proves that the two clients' SRP agree.
 */
import { createCipheriv, pbkdf2Sync, randomBytes, scryptSync } from "node:crypto";
import { hash as argon2Hash } from "@node-rs/argon2";
import { hash as bcryptHash } from "@node-rs/bcrypt";
import { CognitoIdentityProviderClient, ConfirmSignUpCommand, InitiateAuthCommand, SignUpCommand } from "@aws-sdk/client-cognito-identity-provider";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { AuthenticationDetails, CognitoUser, CognitoUserPool, type CognitoUserSession } from "amazon-cognito-identity-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSecretBox, loadMasterKey, type SecretBox } from "../../server/secret-box.js";
import { openTotpSecret, sealTotpSecret } from "../../server/user-pool/totp.js";
import { exportUsers, transferPoolOf, type TransferPool } from "../../server/user-pool/user-export.js";
import { ImportError, importUsers } from "../../server/user-pool/user-import.js";
import { createTestSchema, dropTestSchema, postgresTestUrl } from "../helpers/postgres.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { randomSrpA, srpChallenge } from "../helpers/srp-answer.js";
import { callUserPool, codeFromLog, totpCode, userPoolsConfig } from "../helpers/user-pool-clients.js";

const POOL = "local_default";
const CLIENT = "default";
const PASSWORD = "Correct-horse-9";
const PASSPHRASE = "a long export passphrase";

let source: TestServer;
let target: TestServer;
let schema: string;
let pool: TransferPool;
const boxes = new Map<TestServer, SecretBox>();

const sdk = (server: TestServer) => new CognitoIdentityProviderClient({ region: "local", endpoint: `${server.url}/aws/cognito-idp`, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
const depsOf = (server: TestServer) => ({ store: server.storage.userPools, box: boxes.get(server)!, now: Date.now });
async function* linesOf(texts: string[]) {
  yield* texts;
}
const collect = async (lines: AsyncIterable<string>) => {
  const all: string[] = [];
  for await (const line of lines) all.push(line);
  return all;
};

/** SRP sign-in with amazon-cognito-identity-js; a TOTP challenge is answered from `totpSecret`. */
function srpSignIn(server: TestServer, username: string, password: string, totpSecret?: string): Promise<CognitoUserSession> {
  const userPool = new CognitoUserPool({ UserPoolId: POOL, ClientId: CLIENT, endpoint: `${server.url}/aws/cognito-idp` });
  const user = new CognitoUser({ Username: username, Pool: userPool });
  return new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: resolve,
      onFailure: reject,
      totpRequired: () => (totpSecret === undefined ? reject(new Error("unexpected TOTP challenge")) : user.sendMFACode(totpCode(totpSecret, Date.now()), callbacks, "SOFTWARE_TOKEN_MFA")),
    };
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), callbacks);
  });
}
const passwordSignIn = (server: TestServer, username: string, password: string) => {
  const client = sdk(server);
  return client.send(new InitiateAuthCommand({ ClientId: CLIENT, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: username, PASSWORD: password } })).finally(() => client.destroy());
};
const errorName = (promise: Promise<unknown>) => promise.then(() => "resolved", (error: { name?: string; code?: string }) => error.name ?? error.code);
/** The refusal of USER_SRP_AUTH's first step for `username` (a client's `A` for a random secret), or "challenged". */
async function srpStartRefusal(server: TestServer, username: string): Promise<string> {
  const started = await callUserPool(fetch, server.url, "InitiateAuth", { ClientId: CLIENT, AuthFlow: "USER_SRP_AUTH", AuthParameters: { USERNAME: username, SRP_A: randomSrpA() } });
  return started.type ?? "challenged";
}
/** Whether `username` signs in with `password` by SRP (`srp-answer.ts`), getting tokens. */
async function srpSignsIn(server: TestServer, username: string, password: string): Promise<boolean> {
  const answer = (await srpChallenge({ send: fetch, baseUrl: server.url, clientId: CLIENT, poolName: "default" }, username, password))(new Date());
  const answered = await callUserPool(fetch, server.url, "RespondToAuthChallenge", answer);
  return typeof answered.body["AuthenticationResult"]?.["IdToken"] === "string";
}

// Two servers, the second on a PostgreSQL schema made and migrated here (not a reused one): past
// vitest's 10 s for a hook on two cores at load 20.
beforeAll(async () => {
  const userPools = userPoolsConfig("http://user-pool.test");
  pool = transferPoolOf(userPools.pools[0]!);
  source = await startTestServer({ config: { userPools } });
  schema = await createTestSchema();
  target = await startTestServer({ config: { userPools, databaseUrl: postgresTestUrl, databaseSchema: schema } });
  for (const server of [source, target]) boxes.set(server, createSecretBox(await loadMasterKey(server.dataDir, null)));
}, 60_000);
afterAll(async () => {
  await source?.close();
  await target?.close();
  if (schema) await dropTestSchema(schema);
});

describe("moving users between servers", { timeout: 90_000 }, () => {
  let exported: string[];

  it("exports a pool's users with groups, TOTP and the SRP verifier sealed under the passphrase", async () => {
    const client = sdk(source);
    try {
      await client.send(new SignUpCommand({ ClientId: CLIENT, Username: "alice", Password: PASSWORD, UserAttributes: [{ Name: "email", Value: "alice@example.com" }, { Name: "given_name", Value: "Alice" }] }));
      await client.send(new ConfirmSignUpCommand({ ClientId: CLIENT, Username: "alice", ConfirmationCode: (await codeFromLog(source.dataDir, "alice", "SIGN_UP"))! }));
    } finally {
      client.destroy();
    }
    const alice = (await source.storage.userPools.getUser(POOL, "alice"))!;
    const now = Date.now();
    await source.storage.userPools.createGroup({ poolId: POOL, groupName: "family", description: "Our family", roleArn: null, precedence: 2, createdAt: now, updatedAt: now });
    await source.storage.userPools.addGroupMember(POOL, "family", alice.sub, now);
    const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    await source.storage.userPools.saveTotp({ poolId: POOL, sub: alice.sub, secret: sealTotpSecret(depsOf(source), POOL, alice.sub, secret), pendingSecret: null, deviceName: "phone", enabled: true, preferred: false, lastStep: null, updatedAt: now });

    exported = await collect(exportUsers(depsOf(source), pool, PASSPHRASE));
    const [header, group, user] = exported.map((line) => JSON.parse(line));
    expect(header).toMatchObject({ syncpoolUsers: 1, pool: POOL, srpPoolName: "default", sealing: { kdf: "scrypt" } });
    expect(group).toEqual({ group: { name: "family", description: "Our family", roleArn: null, precedence: 2 } });
    expect(user.user).toMatchObject({ username: "alice", sub: alice.sub, status: "CONFIRMED", groups: ["family"], attributes: { email: "alice@example.com", email_verified: "true", given_name: "Alice" } });
    expect(user.user.password.hash).toMatch(/^\$argon2id\$/);
    expect(user.user.password.srp.verifier).not.toContain(alice.srpVerifier);
    expect(exported.join("\n")).not.toContain(secret);
    expect(user.user.mfa).toMatchObject({ deviceName: "phone", enabled: true, preferred: false });
  });

  it("refuses a wrong passphrase before importing anything", async () => {
    await expect(importUsers(depsOf(target), pool, linesOf(exported), "not the passphrase")).rejects.toBeInstanceOf(ImportError);
    expect(await target.storage.userPools.getUser(POOL, "alice")).toBeNull();
  });

  it("imports into a PostgreSQL server where the user signs in by SRP with the old password", async () => {
    const summary = await importUsers(depsOf(target), pool, linesOf(exported), PASSPHRASE);
    expect(summary).toEqual({ imported: 1, groupsCreated: 1, skipped: [], withoutSrpVerifier: 0 });
    // The TOTP secret moved too: the sign-in asks for a code of it after the password.
    const session = await srpSignIn(target, "alice", PASSWORD, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    const alice = (await source.storage.userPools.getUser(POOL, "alice"))!;
    expect(session.getIdToken().payload).toMatchObject({ sub: alice.sub, "cognito:groups": ["family"], email: "alice@example.com" });
    const moved = (await target.storage.userPools.getTotp(POOL, alice.sub))!;
    expect(openTotpSecret(depsOf(target), POOL, alice.sub, moved.secret!)).toBe("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    const again = await importUsers(depsOf(target), pool, linesOf(exported), PASSPHRASE);
    expect(again.skipped).toEqual([{ line: 3, username: "alice", reason: "the pool already has a user of this username" }]);
  });

  it("imports without the passphrase: the user signs in once by password, then SRP works", async () => {
    const plain = await collect(exportUsers(depsOf(source), pool, null));
    expect(JSON.parse(plain[2]!).user.password.srp).toBeUndefined();
    const renamed = plain.map((line) => line.replace('"username":"alice"', '"username":"alice2"').replace(/"sub":"[^"]+",/, ""));
    expect((await importUsers(depsOf(target), pool, linesOf(renamed), null)).withoutSrpVerifier).toBe(1);
    expect(await srpStartRefusal(target, "alice2")).toBe("PasswordResetRequiredException");
    expect((await passwordSignIn(target, "alice2", PASSWORD)).AuthenticationResult?.IdToken).toBeTruthy();
    expect(await srpSignsIn(target, "alice2", PASSWORD)).toBe(true);
  });
});

describe("importing foreign password hashes", { timeout: 90_000 }, () => {
  const foreignPassword = "Old-system-pass-7";
  const salt = randomBytes(16);
  const b64 = (bytes: Buffer) => bytes.toString("base64");

  async function firebaseLine() {
    const signerKey = randomBytes(64);
    const saltSeparator = Buffer.from("Bw==", "base64");
    const key = scryptSync(foreignPassword, Buffer.concat([salt, saltSeparator]), 32, { N: 2 ** 14, r: 8, p: 1 });
    const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
    const hash = Buffer.concat([cipher.update(signerKey), cipher.final()]);
    return { kind: "firebase-scrypt", rounds: 8, memCost: 14, salt: b64(salt), saltSeparator: b64(saltSeparator), signerKey: b64(signerKey), hash: b64(hash) };
  }

  const passwords = async (): Promise<[string, unknown][]> => [
    ["bcrypt", { kind: "bcrypt", hash: await bcryptHash(foreignPassword, 10) }],
    ["argon2i", { kind: "argon2", hash: await argon2Hash(foreignPassword, { algorithm: 1 }) }],
    ["pbkdf2-sha1", { kind: "pbkdf2", digest: "sha1", iterations: 1000, salt: b64(salt), hash: b64(pbkdf2Sync(foreignPassword, salt, 1000, 20, "sha1")) }],
    ["pbkdf2-sha256", { kind: "pbkdf2", digest: "sha256", iterations: 10_000, salt: b64(salt), hash: b64(pbkdf2Sync(foreignPassword, salt, 10_000, 32, "sha256")) }],
    ["pbkdf2-sha512", { kind: "pbkdf2", digest: "sha512", iterations: 5000, salt: b64(salt), hash: b64(pbkdf2Sync(foreignPassword, salt, 5000, 64, "sha512")) }],
    ["scrypt", { kind: "scrypt", n: 16_384, r: 8, p: 1, salt: b64(salt), hash: b64(scryptSync(foreignPassword, salt, 64, { N: 16_384, r: 8, p: 1 })) }],
    ["firebase", await firebaseLine()],
  ];

  it("signs each in with USER_PASSWORD_AUTH, refuses a wrong password, and rehashes to argon2id so SRP works", async () => {
    const kinds = await passwords();
    const header = JSON.stringify({ syncpoolUsers: 1, pool: "legacy", srpPoolName: "legacy" });
    const users = kinds.map(([name, password]) => JSON.stringify({ user: { username: `from-${name}`, attributes: { email: `${name}@example.com` }, password } }));
    const summary = await importUsers(depsOf(source), pool, linesOf([header, ...users, JSON.stringify({ user: { username: "no-password" } })]), null);
    expect(summary).toMatchObject({ imported: kinds.length + 1, skipped: [] });
    for (const [name] of kinds) {
      const username = `from-${name}`;
      expect([name, await srpStartRefusal(source, username)]).toEqual([name, "PasswordResetRequiredException"]);
      expect([name, await errorName(passwordSignIn(source, username, "Wrong-password-1"))]).toEqual([name, "NotAuthorizedException"]);
      expect([name, (await passwordSignIn(source, username, foreignPassword)).AuthenticationResult?.AccessToken !== undefined]).toEqual([name, true]);
      expect((await source.storage.userPools.getUser(POOL, username))!.passwordHash).toMatch(/^\$argon2id\$/);
    }
    expect(await srpSignsIn(source, "from-firebase", foreignPassword)).toBe(true);
    expect((await source.storage.userPools.getUser(POOL, "no-password"))!.status).toBe("RESET_REQUIRED");
  });

  it("reports a malformed line and imports the rest", async () => {
    const header = JSON.stringify({ syncpoolUsers: 1, pool: "legacy", srpPoolName: "legacy" });
    const bad = JSON.stringify({ user: { username: "bad-hash", password: { kind: "bcrypt", hash: "not-bcrypt" } } });
    const good = JSON.stringify({ user: { username: "good-one", password: { kind: "bcrypt", hash: await bcryptHash(foreignPassword, 4) } } });
    const summary = await importUsers(depsOf(source), pool, linesOf([header, bad, "{oops", good]), null);
    expect(summary.imported).toBe(1);
    expect(summary.skipped.map((entry) => entry.line)).toEqual([2, 3]);
    expect(await source.storage.userPools.getUser(POOL, "bad-hash")).toBeNull();
  });
});
