/**
 * Conformance: server keys (`KeyStore`). Create-once keeps the first key of each kind, however many
 * callers race; rotation adds the newest key and keeps only the newest few; one generation counter
 * grows with every stored key, whatever its kind.
 */
import { describe, expect, it } from "vitest";
import type { NewServerKey } from "../../server/storage/key-store.js";
import type { Storage } from "../../server/storage/storage.js";
import { BASE_MS } from "./storage-fixtures.js";

const key = (kind: string, keyId: string, createdAt = BASE_MS): NewServerKey => ({ kind, keyId, sealed: `sealed:v1:${kind}-${keyId}`, createdAt });

/** Registers the key tests; `storage()` is a fresh, migrated storage per test. */
export function describeKeys(storage: () => Storage): void {
  describe("server keys", () => {
    it("starts empty at generation 0", async () => {
      expect(await storage().keys.listServerKeys()).toEqual([]);
      expect(await storage().keys.serverKeyGeneration()).toBe(0);
    });

    it("stores only the kinds that have no key yet, each with the next generation", async () => {
      expect(await storage().keys.addMissingServerKeys([key("token-signing", "a"), key("session", "s")])).toEqual(["token-signing", "session"]);
      expect(await storage().keys.addMissingServerKeys([key("token-signing", "b"), key("vapid", "v")])).toEqual(["vapid"]);
      expect(await storage().keys.listServerKeys()).toEqual([
        { ...key("token-signing", "a"), generation: 1 },
        { ...key("session", "s"), generation: 2 },
        { ...key("vapid", "v"), generation: 3 },
      ]);
      expect(await storage().keys.serverKeyGeneration()).toBe(3);
    });

    it("keeps exactly one key per kind when several callers create keys at once", async () => {
      const answers = await Promise.all(["a", "b", "c", "d"].map((id) => storage().keys.addMissingServerKeys([key("token-signing", id), key("session", id)])));
      expect(answers.filter((kinds) => kinds.length > 0)).toHaveLength(1);
      const rows = await storage().keys.listServerKeys();
      expect(rows.map((row) => row.kind).sort()).toEqual(["session", "token-signing"]);
      expect(new Set(rows.map((row) => row.keyId)).size).toBe(1);
    });

    it("rotates a kind to a new newest key, keeping the newest ones and leaving other kinds alone", async () => {
      await storage().keys.addMissingServerKeys([key("token-signing", "k1"), key("vapid", "v")]);
      const second = await storage().keys.rotateServerKey(key("token-signing", "k2", BASE_MS + 1), 2);
      expect(second).toEqual({ ...key("token-signing", "k2", BASE_MS + 1), generation: 3 });
      await storage().keys.rotateServerKey(key("token-signing", "k3", BASE_MS + 2), 2);
      const rows = await storage().keys.listServerKeys();
      expect(rows.map((row) => `${row.kind}:${row.keyId}:${row.generation}`)).toEqual(["vapid:v:2", "token-signing:k2:3", "token-signing:k3:4"]);
      expect(await storage().keys.serverKeyGeneration()).toBe(4);
    });

    it("never reuses a generation when rotations race", async () => {
      await storage().keys.addMissingServerKeys([key("session", "s0")]);
      const rows = await Promise.all(["s1", "s2", "s3"].map((id) => storage().keys.rotateServerKey(key("session", id), 10)));
      expect(rows.map((row) => row.generation).sort()).toEqual([2, 3, 4]);
    });
  });
}
