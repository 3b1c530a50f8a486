/**
 * A pool removed from the config file, and the implicit `default` pool once a config file is in
 * use, must stop working: no sign-in, no token of theirs accepted, no developer or AWS access,
 * with a warning at start-up. Pools created through the admin API are kept.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { poolSettingsSchema, type PoolSettings } from "../../server/config.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

const ADMIN_TOKEN = "admin-token-for-retired-pool-tests-0123456789";
const DEVELOPER_KEY = "developer-key-of-the-removed-pool-0123456789";
const SIGN_IN = `mutation ($pool: String!) { signIn(input: { identityPoolId: $pool }) { identityId token } }`;
const DEV_TOKEN = `mutation { getTokenForDeveloperIdentity(identityPoolId: "app", developerUserId: "user-1") { identityId } }`;
const CREATE = `mutation { createIdentityPool(input: { id: "made-by-admin" }) { id } }`;

describe("pools the config file no longer names", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "syncpool-retired-"));
  const servers: InProcessServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const start = async (pools: PoolSettings[] | null) => {
    const config = { adminToken: ADMIN_TOKEN, pools: pools ?? [], configFile: pools === null ? null : join(dataDir, "syncpool.json") };
    const server = await startInProcessServer({ dataDir, config, captureLogs: true });
    servers.push(server);
    return server;
  };
  const stop = async (server: InProcessServer) => {
    await server.close();
    servers.splice(servers.indexOf(server), 1);
  };
  const app = poolSettingsSchema.parse({ id: "app", developerProvider: { name: "backend", key: DEVELOPER_KEY } });
  const kept = poolSettingsSchema.parse({ id: "kept" });

  it("retires the implicit default pool and removed config pools, keeps admin pools, and brings a pool back when the file names it again", async () => {
    // 1. No config file: the implicit default pool serves guests.
    const first = await start(null);
    const defaultGuest = (await first.gql(SIGN_IN, { pool: "default" })).data.signIn;
    expect((await first.gql(`{ datasets { name } }`, {}, defaultGuest.token)).errors).toBeUndefined();
    await stop(first);

    // 2. A config file with "app" and "kept"; an admin creates a pool too.
    const second = await start([app, kept]);
    const appGuest = (await second.gql(SIGN_IN, { pool: "app" })).data.signIn;
    expect((await second.gql(DEV_TOKEN, {}, DEVELOPER_KEY)).errors).toBeUndefined();
    expect((await second.gql(CREATE, {}, ADMIN_TOKEN)).errors).toBeUndefined();
    // The default pool is retired as soon as a config file is in use.
    expect((await second.gql(SIGN_IN, { pool: "default" })).errors?.[0]?.extensions).toMatchObject({ code: "NOT_FOUND" });
    expect((await second.gql(`{ datasets { name } }`, {}, defaultGuest.token)).errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(second.logText()).toMatch(/identity pool \\?"default\\?" is retired/);
    await stop(second);

    // 3. The file drops "app": its sign-ins, tokens and developer key stop working.
    const third = await start([kept]);
    expect((await third.gql(SIGN_IN, { pool: "app" })).errors?.[0]?.extensions).toMatchObject({ code: "NOT_FOUND" });
    expect((await third.gql(`{ datasets { name } }`, {}, appGuest.token)).errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    expect((await third.gql(DEV_TOKEN, {}, DEVELOPER_KEY)).errors?.[0]?.extensions).toMatchObject({ code: "NOT_FOUND" });
    const getId = await third.testFetch(`${third.url}/aws/cognito-identity`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityService.GetId" },
      body: JSON.stringify({ IdentityPoolId: "app", Logins: { "syncpool.guest": "a-guest-secret-of-enough-length-0123456789" } }),
    });
    expect(getId.status).toBeGreaterThanOrEqual(400);
    expect(third.logText()).toMatch(/identity pool \\?"app\\?" is retired/);
    // Not listed, not re-creatable through the admin API; the admin's own pool and the kept one live on.
    const listed = (await third.gql(`{ identityPools { id } }`, {}, ADMIN_TOKEN)).data.identityPools.map((pool: { id: string }) => pool.id);
    expect(listed).toEqual(["kept", "made-by-admin"]);
    expect((await third.gql(`mutation { createIdentityPool(input: { id: "app" }) { id } }`, {}, ADMIN_TOKEN)).errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT" });
    expect((await third.gql(SIGN_IN, { pool: "made-by-admin" })).errors).toBeUndefined();
    await stop(third);

    // 4. Named again, "app" is back with its identities.
    const fourth = await start([app, kept]);
    expect((await fourth.gql(`{ datasets { name } }`, {}, appGuest.token)).errors).toBeUndefined();
  });
});
