/**
 * Stateless instances: three servers on one PostgreSQL schema, each with its own EMPTY data
 * directory and the same SYNCPOOL_MASTER_KEY, share their keys through the database alone. A token
 * from any instance works on all; `syncpool keys rotate` (the CLI, against the same database) is
 * honoured by every instance without a restart, and tokens signed before it keep working. How soon
 * (each instance's next poll, a quarter of a second) is proven with the poll's clock faked in
 * `keys-rotation.test.ts`: here a wall-clock bound would only measure how busy the machine is.
 *
 * The postgres test project only (`vitest.config.ts`): several servers on one database.
 * Spawns the CLI (`syncpool keys rotate`), as an operator runs it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeProtectedHeader } from "jose";
import { afterAll, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { startServer, type RunningServer } from "../../server/node.js";
import { runCli } from "../helpers/cli.js";
import { createTestSchema, describeWithPostgres, dropTestSchema, postgresTestUrl } from "../helpers/postgres.js";
import { syncApi } from "../helpers/sync-api.js";

const MASTER_KEY = randomBytes(32).toString("base64");
/** Only how long a busy two-core machine may take to show a pick-up that is due within a quarter of a second. */
const PICKUP_BOUND_MS = 15_000;

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
});

/** The environment of every instance and of the CLI: one schema, one master key, nothing shared on disk. */
function instanceEnv(schema: string, dataDir: string): Record<string, string> {
  return {
    DATABASE_URL: postgresTestUrl,
    SYNCPOOL_DATABASE_SCHEMA: schema,
    SYNCPOOL_DATABASE_POOL_SIZE: "3",
    SYNCPOOL_MASTER_KEY: MASTER_KEY,
    SYNCPOOL_DATA_DIR: dataDir,
    PORT: "0",
    LOG_LEVEL: "silent",
  };
}

interface Instance {
  running: RunningServer;
  dataDir: string;
}

async function startInstances(schema: string): Promise<Instance[]> {
  const dataDirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), "syncpool-keys-")));
  for (const dir of dataDirs) cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // All at once on an empty schema: creating the keys races, and exactly one set must win.
  const servers = await Promise.all(dataDirs.map((dir) => startServer(loadConfig(instanceEnv(schema, dir)))));
  for (const server of servers) cleanups.push(() => server.close());
  return servers.map((running, index) => ({ running, dataDir: dataDirs[index]! }));
}

const signIn = async (server: RunningServer) =>
  (await syncApi(server.graphqlUrl, undefined).call<{ signIn: { token: string; identityId: string } }>(`mutation { signIn(input: { identityPoolId: "default" }) { token identityId } }`)).signIn;

/** Whether `token` is accepted by `server` (an authenticated query answers). */
async function accepts(server: RunningServer, token: string): Promise<boolean> {
  const response = await fetch(server.graphqlUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: "{ usage { identityId } }" }),
  });
  const body = (await response.json()) as { data?: { usage?: { identityId: string } } | null };
  return typeof body.data?.usage?.identityId === "string";
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid;

// Several server instances on one database; a rotation waits for every instance's key cache to refresh.
// Each test starts three instances and runs the CLI: up to a minute on a busy machine.
await describeWithPostgres("stateless instances: keys shared through PostgreSQL", () => {
  it("accepts a token from any instance on all of them, with nothing shared on disk but the master key setting", async () => {
    const schema = await createTestSchema();
    cleanups.push(() => dropTestSchema(schema));
    const instances = await startInstances(schema);
    const servers = instances.map((instance) => instance.running);

    for (const issuer of servers) {
      const { token } = await signIn(issuer);
      for (const verifier of servers) expect(await accepts(verifier, token)).toBe(true);
    }
    const jwks = await Promise.all(servers.map(async (server) => (await fetch(`${server.url}/.well-known/jwks.json`)).text()));
    expect(new Set(jwks).size).toBe(1);
    // No key file in any data directory: the keys live in the database only.
    for (const { dataDir } of instances) expect(readdirSync(dataDir)).toEqual([]);
  });

  it("honours a rotation on every instance without a restart and keeps older tokens valid", async () => {
    const schema = await createTestSchema();
    cleanups.push(() => dropTestSchema(schema));
    const servers = (await startInstances(schema)).map((instance) => instance.running);
    const before = await signIn(servers[1]!);
    const oldKid = kidOf(before.token);

    const cliDir = mkdtempSync(join(tmpdir(), "syncpool-keys-cli-"));
    cleanups.push(() => rmSync(cliDir, { recursive: true, force: true }));
    const rotation = await runCli(["keys", "rotate"], instanceEnv(schema, cliDir));
    expect(rotation.stderr).toBe("");
    expect(rotation.code).toBe(0);
    const { rotated } = JSON.parse(rotation.stdout) as { rotated: Array<{ kind: string; keyId: string }> };
    const newKid = rotated.find((row) => row.kind === "token-signing")!.keyId;
    expect(newKid).not.toBe(oldKid);

    // Instance 0 signs with the new key once it has noticed; every instance then accepts that token.
    let token = "";
    await expect.poll(async () => kidOf((token = (await signIn(servers[0]!)).token)), { timeout: PICKUP_BOUND_MS, interval: 20 }).toBe(newKid);
    for (const server of servers) {
      await expect.poll(() => accepts(server, token), { timeout: PICKUP_BOUND_MS, interval: 20 }).toBe(true);
    }

    // The token signed before the rotation still works everywhere; every JWKS serves both keys.
    for (const server of servers) {
      expect(await accepts(server, before.token)).toBe(true);
      const { keys } = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      expect(keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
    }
  });
}, { timeout: 60_000 });
