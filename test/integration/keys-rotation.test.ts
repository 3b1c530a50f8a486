/**
 * One server's keys over restarts and rotations (SQLite in the sqlite project, a PostgreSQL schema
 * in the postgres one): keys survive a restart; after a rotation new tokens are signed with the new
 * key while tokens and sync session tokens from before keep working; a second rotation retires the
 * oldest key; key files of a data directory from before keys moved to the database are imported,
 * so an upgrade invalidates nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeProtectedHeader } from "jose";
import { afterAll, describe, expect, it, vi } from "vitest";
import { generateSigningKeyMaterial, signingKeyId } from "../../server/identity/keys.js";
import { DEFAULT_KEY_POLL_MS, openKeyRing, rotateServerKeys, type KeyRing } from "../../server/keys/key-ring.js";
import { silentLogger } from "../../server/logger.js";
import { createSecretBox, loadMasterKey } from "../../server/secret-box.js";
import type { KeyStore } from "../../server/storage/key-store.js";
import { issueSessionToken } from "../../server/sync/session-token.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { ADMIN_TOKEN } from "../helpers/stream-api.js";
import { GraphQLFailure, syncApi } from "../helpers/sync-api.js";

const dirs: string[] = [];
const servers: InProcessServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close().catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "syncpool-keys-rotation-"));
  dirs.push(dir);
  return dir;
}

async function start(dataDir: string): Promise<InProcessServer> {
  const server = await startInProcessServer({ dataDir, config: { adminToken: ADMIN_TOKEN } });
  servers.push(server);
  return server;
}

async function stop(server: InProcessServer): Promise<void> {
  servers.splice(servers.indexOf(server), 1);
  await server.close();
}

/** Rotates as `syncpool keys rotate` does, on the server's own database and master key. */
async function rotate(server: InProcessServer): Promise<string> {
  const box = createSecretBox(await loadMasterKey(server.dataDir, null));
  const rows = await rotateServerKeys(server.storage.keys, box, Date.now);
  return rows.find((row) => row.kind === "token-signing")!.keyId;
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid;

/** Signs in guests until one token is signed with `kid` (the server notices a rotation on its next poll). */
async function tokenSignedWith(server: InProcessServer, kid: string): Promise<string> {
  let token = "";
  await expect.poll(async () => kidOf((token = (await server.signInGuest()).token)), { timeout: 10_000, interval: 20 }).toBe(kid);
  return token;
}

const accepted = async (server: InProcessServer, token: string) => (await server.gql(`{ usage { identityId } }`, {}, token)).data?.usage?.identityId !== undefined;

// Each test starts its own server on its own directory, and restarts it or rotates its keys (a
// start opens the database, reads and unseals every key, builds the GraphQL schema; a rotation
// makes and seals new keys): a second or more of CPU, which on a busy two-core machine takes longer
// than vitest's default 5 s.
describe("server keys across restarts and rotations", { timeout: 30_000 }, () => {
  it("keeps its keys across a restart: tokens and sync session tokens stay valid", async () => {
    const dataDir = freshDir();
    const first = await start(dataDir);
    const guest = await first.signInGuest();
    const { syncSessionToken } = await syncApi(first, guest.token).page("notes");
    await stop(first);

    const second = await start(dataDir);
    expect(await accepted(second, guest.token)).toBe(true);
    const answer = await syncApi(second, guest.token).push({ dataset: "notes", syncSessionToken, patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    expect(answer.datasetSyncCount).toBe(1);
  });

  it("makes and stores no key at a restart when the database holds every kind", async () => {
    const server = await start(freshDir());
    const kid = kidOf((await server.signInGuest()).token);
    const stored = await server.storage.keys.listServerKeys();
    // The server's own key store, recording which kinds a start offers to store.
    const keys = server.storage.keys;
    const added: string[] = [];
    const store: KeyStore = {
      listServerKeys: () => keys.listServerKeys(),
      serverKeyGeneration: () => keys.serverKeyGeneration(),
      rotateServerKey: (key, keep) => keys.rotateServerKey(key, keep),
      addMissingServerKeys: (offered) => {
        added.push(...offered.map((key) => key.kind));
        return keys.addMissingServerKeys(offered);
      },
    };
    const box = createSecretBox(await loadMasterKey(server.dataDir, null));
    const ring = await openKeyRing({ store, box, dataDir: server.dataDir, now: Date.now, logger: silentLogger(), pollMs: 0 });
    ring.close();
    expect(added).toEqual([]);
    expect(ring.signing().current.kid).toBe(kid);
    expect(await server.storage.keys.listServerKeys()).toEqual(stored);
  });

  it("notices a rotation made elsewhere on its next poll, a quarter of a second after the last", async () => {
    const server = await start(freshDir());
    const box = createSecretBox(await loadMasterKey(server.dataDir, null));
    // The ring's interval runs on a faked clock, so what is proven is the interval however busy the
    // machine is: the rotation is read on the first tick after it, not before. The clock is real
    // again once that tick has fired (expect.poll would move a faked one on), and the ring's next
    // tick never comes: only the one tick can have read the new key.
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    let ring: KeyRing | undefined;
    try {
      ring = await openKeyRing({ store: server.storage.keys, box, dataDir: server.dataDir, now: Date.now, logger: silentLogger() });
      const generation = ring.generation();
      const kid = await rotate(server);
      await vi.advanceTimersByTimeAsync(DEFAULT_KEY_POLL_MS - 1);
      expect(ring.generation()).toBe(generation);
      await vi.advanceTimersByTimeAsync(1);
      vi.useRealTimers();
      await expect.poll(() => ring!.signing().current.kid).toBe(kid);
      expect(ring.generation()).toBeGreaterThan(generation);
    } finally {
      vi.useRealTimers();
      ring?.close();
    }
    expect(DEFAULT_KEY_POLL_MS).toBeLessThanOrEqual(250);
  });

  it("signs with the new key after a rotation and still accepts tokens and session tokens from before, also after a restart", async () => {
    const dataDir = freshDir();
    const server = await start(dataDir);
    const before = await server.signInGuest();
    const oldKid = kidOf(before.token);
    const { syncSessionToken } = await syncApi(server, before.token).page("notes");

    const newKid = await rotate(server);
    const after = await tokenSignedWith(server, newKid);
    expect(await accepted(server, after)).toBe(true);
    expect(await accepted(server, before.token)).toBe(true);
    const jwks = (await (await server.testFetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
    // A session token signed with the previous session secret still ties a push to its pull.
    const pushed = await syncApi(server, before.token).push({ dataset: "notes", syncSessionToken, patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    expect(pushed.datasetSyncCount).toBe(1);
    // New session tokens are signed with the new secret, and verify too.
    const fresh = await syncApi(server, before.token).page("notes");
    expect(fresh.syncSessionToken).not.toBe(syncSessionToken);
    await syncApi(server, before.token).push({ dataset: "notes", syncSessionToken: fresh.syncSessionToken, patches: [{ op: "REPLACE", key: "k", value: "w" }] });

    await stop(server);
    const restarted = await start(dataDir);
    expect(await accepted(restarted, before.token)).toBe(true);
    expect(await accepted(restarted, after)).toBe(true);
    expect(kidOf((await restarted.signInGuest()).token)).toBe(newKid);
  });

  it("retires the oldest key on a second rotation: its tokens are refused with UNAUTHENTICATED", async () => {
    const server = await start(freshDir());
    const oldest = await server.signInGuest();
    await tokenSignedWith(server, await rotate(server));
    const middle = await tokenSignedWith(server, await rotate(server));
    await expect.poll(() => accepted(server, oldest.token), { timeout: 10_000, interval: 20 }).toBe(false);
    const { errors } = await server.gql(`{ usage { identityId } }`, {}, oldest.token);
    expect(errors?.[0]).toMatchObject({ message: expect.stringContaining("does not hold"), extensions: { code: "UNAUTHENTICATED" } });
    expect(await accepted(server, middle)).toBe(true);
  });

  it("rotates through the admin API, signing with the new key as soon as it answers; refuses anyone else and changes nothing", async () => {
    const server = await start(freshDir());
    const guest = await server.signInGuest();
    const rotate = `mutation { rotateServerKeys { generation rotated { kind keyId } } }`;
    const before = await server.storage.keys.listServerKeys();

    const refused = await server.gql(rotate, {}, guest.token);
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await server.storage.keys.listServerKeys()).toEqual(before);

    const { data, errors } = await server.gql<{ rotateServerKeys: { generation: number; rotated: Array<{ kind: string; keyId: string }> } }>(rotate, {}, ADMIN_TOKEN);
    expect(errors).toBeUndefined();
    expect(data!.rotateServerKeys.rotated.map((row) => row.kind)).toEqual(["token-signing", "session"]);
    expect(data!.rotateServerKeys.generation).toBe(Math.max(...before.map((row) => row.generation)) + 2);
    const newKid = data!.rotateServerKeys.rotated[0]!.keyId;
    expect(kidOf((await server.signInGuest()).token)).toBe(newKid);
    expect(await accepted(server, guest.token)).toBe(true);
  });

  it("imports the key files of a data directory from before keys moved to the database", async () => {
    const dataDir = freshDir();
    mkdirSync(join(dataDir, "keys"), { mode: 0o700 });
    const signingMaterial = await generateSigningKeyMaterial();
    const sessionSecret = Buffer.alloc(32, 9);
    writeFileSync(join(dataDir, "keys", "signing-key.jwk.json"), signingMaterial, { mode: 0o600 });
    writeFileSync(join(dataDir, "keys", "session-secret"), sessionSecret.toString("base64url"), { mode: 0o600 });

    const server = await start(dataDir);
    const guest = await server.signInGuest();
    expect(kidOf(guest.token)).toBe(await signingKeyId(signingMaterial));
    // A session token the old server handed out (signed with the file's secret) still verifies.
    const legacySessionToken = issueSessionToken(new Uint8Array(sessionSecret), { identityId: guest.identityId, dataset: "notes", syncCount: 0, issuedAt: Date.now() });
    const answer = await syncApi(server, guest.token).push({ dataset: "notes", syncSessionToken: legacySessionToken, patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    expect(answer.datasetSyncCount).toBe(1);
    // And a session token signed with another secret does not.
    const forged = issueSessionToken(new Uint8Array(32).fill(1), { identityId: guest.identityId, dataset: "notes", syncCount: 0, issuedAt: Date.now() });
    await expect(syncApi(server, guest.token).push({ dataset: "notes", syncSessionToken: forged, patches: [{ op: "REPLACE", key: "k", value: "x" }] })).rejects.toBeInstanceOf(
      GraphQLFailure,
    );
  });
});
