/**
 * Reading the database (or a backup of it) must not reveal the pools' secrets, and other users of
 * the machine must not read the data directory: secrets are sealed with AES-256-GCM under a master
 * key, the directory is 0700 and the database and key files 0600. Rows stored in plaintext by an
 * older server still load, and are sealed at start.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { startInProcessServer, testBackend, type InProcessServer } from "../helpers/server.js";

const SECRETS = {
  developerKey: "developer-key-that-must-not-leak-0123456789",
  awsSecret: "AWSSECRETTHATMUSTNOTLEAK0123456789abcdefgh",
  webhookSecret: "webhook-secret-that-must-not-leak",
  triggerSecret: "trigger-secret-that-must-not-leak",
  conflictHandlerSecret: "conflict-handler-secret-that-must-not-leak",
};
const DEV_TOKEN = `mutation ($pool: String!) { getTokenForDeveloperIdentity(identityPoolId: $pool, developerUserId: "u1") { identityId } }`;

const pool = poolSettingsSchema.parse({
  id: "app",
  developerProvider: { name: "backend", key: SECRETS.developerKey },
  developerCredentials: { accessKeyId: "AKIASECRETSATREST001", secretAccessKey: SECRETS.awsSecret },
  syncTrigger: { url: "http://127.0.0.1:9/trigger", secret: SECRETS.triggerSecret, timeoutMs: 1000 },
  stream: { webhooks: [{ name: "audit", url: "http://127.0.0.1:9/events", secret: SECRETS.webhookSecret, timeoutMs: 1000 }] },
  models: {
    schema: "type Todo @model @auth(rules: [{ allow: public }]) { id: ID! title: String! }",
    conflictHandler: "LAMBDA",
    lambdaConflictHandler: { url: "http://127.0.0.1:9/conflicts", secret: SECRETS.conflictHandlerSecret, timeoutMs: 1000 },
  },
});
const mode = (path: string) => statSync(path).mode & 0o777;

describe("secrets at rest", () => {
  const dirs: string[] = [];
  const servers: InProcessServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const freshDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "syncpool-at-rest-"));
    dirs.push(dir);
    return dir;
  };
  const start = async (dataDir: string, config: Parameters<typeof startInProcessServer>[0] = {}) => {
    const server = await startInProcessServer({ dataDir, ...config });
    servers.push(server);
    return server;
  };

  describe("a server started on a data directory that existed wider", () => {
    // One server for what a single start leaves behind: its sealed rows, and its files' modes.
    let dataDir: string;
    let server: InProcessServer;
    beforeAll(async () => {
      dataDir = freshDir();
      chmodSync(dataDir, 0o755);
      mkdirSync(join(dataDir, "keys"), { mode: 0o755 });
      server = await start(dataDir, { config: { pools: [pool] } });
    });

    it("stores no pool secret in plaintext, and the server still uses them", async () => {
      const stored = JSON.stringify(await server.storage.pools.getPool("app"));
      for (const secret of Object.values(SECRETS)) expect(stored).not.toContain(secret);
      expect(stored).toContain("sealed:v1:");
      expect((await server.gql(DEV_TOKEN, { pool: "app" }, SECRETS.developerKey)).errors).toBeUndefined();
    });

    it("makes the data directory 0700 and the database and key files 0600, even when it existed wider", () => {
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(join(dataDir, "keys"))).toBe(0o700);
      expect(mode(join(dataDir, "keys", "master-key"))).toBe(0o600);
      if (testBackend === "sqlite") expect(mode(join(dataDir, "syncpool.db"))).toBe(0o600);
    });

    it("keeps the server's signing keys and secrets in the database sealed, with no key file besides the master key", async () => {
      const rows = await server.storage.keys.listServerKeys();
      // A user pool's signing key is made when the pool first signs a token; when one exists it is sealed like the rest.
      const serverKinds = rows.map((row) => row.kind).filter((kind) => !kind.startsWith("user-pool-signing:"));
      expect(serverKinds.sort()).toEqual(["aws-credentials", "push-webhook", "session", "token-signing", "vapid"]);
      for (const row of rows) expect(row.sealed).toMatch(/^sealed:v1:/);
      expect(JSON.stringify(rows)).not.toContain('"d"');
      expect(readdirSync(join(dataDir, "keys"))).toEqual(["master-key"]);
    });
  });

  // Each starts a server on its directory two or three times (a start opens the database, reads and
  // unseals every key, builds the GraphQL schema): over a second of CPU in all, which on a busy
  // two-core machine takes longer than vitest's default 5 s.
  describe("over restarts", { timeout: 30_000 }, () => {
    it("loads a pool stored in plaintext by an older server and seals it at start", async () => {
      const dataDir = freshDir();
      const first = await start(dataDir);
      const plaintext = { ...poolSettingsSchema.parse({ id: "legacy", developerProvider: { name: "backend", key: SECRETS.developerKey } }) };
      await first.storage.pools.savePool({ id: "legacy", settings: plaintext as unknown as Record<string, unknown>, createdAt: Date.now() });
      await first.close();
      servers.splice(servers.indexOf(first), 1);

      const second = await start(dataDir);
      expect((await second.gql(DEV_TOKEN, { pool: "legacy" }, SECRETS.developerKey)).errors).toBeUndefined();
      expect(JSON.stringify(await second.storage.pools.getPool("legacy"))).not.toContain(SECRETS.developerKey);
    });

    it("seals with SYNCPOOL_MASTER_KEY when set, and refuses to start with another key", async () => {
      const dataDir = freshDir();
      const masterKey = new Uint8Array(32).fill(7);
      const first = await start(dataDir, { config: { pools: [pool], masterKey } });
      await first.close();
      servers.splice(servers.indexOf(first), 1);
      // The key came from the environment, so no key file was made.
      expect(() => statSync(join(dataDir, "keys", "master-key"))).toThrow();

      // The stored pool opens with the same key, and with no other: a wrong key stops start-up, naming the cause.
      await expect(start(dataDir, { config: { pools: [], masterKey } })).resolves.toBeDefined();
      await servers.pop()!.close();
      await expect(start(dataDir, { config: { pools: [], masterKey: new Uint8Array(32).fill(8) } })).rejects.toThrow(/does not open with this master key/);
    });
  });
});
