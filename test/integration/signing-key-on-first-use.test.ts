/**
 * A user pool's RS256 signing key is made the first time the pool needs it (a token, its key set),
 * not when the server starts: making one costs 50-300 ms of CPU, and most servers' pools have
 * not signed anything yet. These tests prove it is still one key per pool, shared by concurrent
 * first callers and by instances on one database, kept across restarts, and that a failed load
 * is tried again rather than remembered.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createSecretBox } from "../../server/secret-box.js";
import { openStorage } from "../../server/storage/open-storage.js";
import type { KeyStore } from "../../server/storage/key-store.js";
import type { Storage } from "../../server/storage/storage.js";
import { userPoolKey } from "../../server/user-pool/user-pool-keys.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

const POOL = "local_default";
const userPoolKinds = async (keys: KeyStore) => (await keys.listServerKeys()).filter((row) => row.kind.startsWith("user-pool-signing:")).map((row) => row.kind);

describe("a user pool's signing key", () => {
  const cleanUps: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanUp of cleanUps.splice(0).reverse()) await cleanUp();
  });

  async function start(dataDir?: string): Promise<InProcessServer> {
    const server = await startInProcessServer(dataDir ? { dataDir } : {});
    cleanUps.push(() => server.close());
    return server;
  }

  async function sqliteStorage(): Promise<Storage> {
    const dataDir = mkdtempSync(join(tmpdir(), "syncpool-key-on-first-use-"));
    const storage = await openStorage({ dataDir, sqliteSynchronous: "NORMAL" });
    cleanUps.push(async () => {
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    return storage;
  }

  const jwksPath = (server: InProcessServer) => `${new URL(server.server.userPools.issuerOf(POOL)!).pathname}/.well-known/jwks.json`;
  const kidsOf = async (server: InProcessServer) => ((await (await server.fetch(jwksPath(server))).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);

  it("is not made at start, is made once for concurrent first readers of the key set, and is kept across a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "syncpool-key-on-first-use-"));
    cleanUps.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const first = await start(dataDir);
    expect(await userPoolKinds(first.storage.keys)).toEqual([]);

    const [kids, sameKids] = await Promise.all([kidsOf(first), kidsOf(first)]);
    expect(kids).toHaveLength(1);
    expect(sameKids).toEqual(kids);
    expect(await userPoolKinds(first.storage.keys)).toEqual([`user-pool-signing:${POOL}`]);
    await first.close();

    const restarted = await start(dataDir);
    expect(await kidsOf(restarted)).toEqual(kids);
  });

  it("is the same key for two instances on one database that need it at the same moment", async () => {
    const storage = await sqliteStorage();
    const box = createSecretBox(randomBytes(32));
    const [one, other] = await Promise.all([userPoolKey(storage.keys, box, POOL, Date.now).get(), userPoolKey(storage.keys, box, POOL, Date.now).get()]);
    expect(other.kid).toBe(one.kid);
    expect(await userPoolKinds(storage.keys)).toEqual([`user-pool-signing:${POOL}`]);
  });

  it("is loaded again by the next caller after a load that failed", async () => {
    const storage = await sqliteStorage();
    let failuresLeft = 1;
    const keys = storage.keys;
    const flakyKeys: KeyStore = {
      listServerKeys: async () => {
        if (failuresLeft-- > 0) throw new Error("database unavailable");
        return keys.listServerKeys();
      },
      serverKeyGeneration: () => keys.serverKeyGeneration(),
      addMissingServerKeys: (rows) => keys.addMissingServerKeys(rows),
      rotateServerKey: (row, keep) => keys.rotateServerKey(row, keep),
    };
    const key = userPoolKey(flakyKeys, createSecretBox(randomBytes(32)), POOL, Date.now);
    await expect(key.get()).rejects.toThrow("database unavailable");
    const loaded = await key.get();
    expect(await key.get()).toBe(loaded);
    expect(await userPoolKinds(storage.keys)).toEqual([`user-pool-signing:${POOL}`]);
  });
});
