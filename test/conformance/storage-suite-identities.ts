/**
 * Conformance: `IdentityStore`. A login reaches one identity per pool (also when two first
 * sign-ins race), links are all or nothing, a disabled identity writes nothing, and a merge
 * commits every dataset it touches together, serialized with `writeDataset`.
 */
import { describe, expect, it } from "vitest";
import type { IdentityStatus } from "../../server/storage/identity-store.js";
import type { Storage } from "../../server/storage/storage.js";
import { BASE_MS, IDENTITY_A, IDENTITY_B, commitPush, deferred, makeDataset, makeRecord, yieldToOthers } from "./storage-fixtures.js";

const IDENTITY_C = "local:3b241101-e2bb-4255-8caf-4136c566a962";
const ISSUER = "https://issuer.example";
const login = (subject: string, provider = ISSUER) => ({ provider, subject });
const identity = (id: string, poolId = "default", secretHash: string | null = null) => ({ id, poolId, secretHash, createdAt: BASE_MS });
const active = (id: string, hasSecret: boolean, poolId = "default"): IdentityStatus => ({ id, poolId, hasSecret, disabledAt: null, mergedInto: null });

/** Registers the identity tests; `storage` returns the current test's storage. */
export function describeIdentityStore(storage: () => Storage): void {
  const readAll = (identityId: string, name: string) => storage().datasets.readRecords(identityId, name, { sinceSyncCount: 0, limit: 10_000 });

  describe("identities: logins and status", () => {
    it("creates an identity with its logins and finds it by each login, in its pool only", async () => {
      const created = await storage().identities.createIdentityWithLogins(identity(IDENTITY_A), [login("alice"), login("alice", "developer")]);
      expect(created).toEqual({ identityId: IDENTITY_A, created: true });
      expect(await storage().identities.findLoginOwner("default", login("alice"))).toBe(IDENTITY_A);
      expect(await storage().identities.findLoginOwner("default", login("alice", "developer"))).toBe(IDENTITY_A);
      expect(await storage().identities.findLoginOwner("other-pool", login("alice"))).toBeNull();
      expect(await storage().identities.findLoginOwner("default", login("bob"))).toBeNull();
      expect(await storage().identities.getIdentityStatus(IDENTITY_A)).toEqual(active(IDENTITY_A, false));
      expect(await storage().identities.listLogins(IDENTITY_A)).toEqual([
        { provider: "developer", subject: "alice", linkedAt: BASE_MS },
        { provider: ISSUER, subject: "alice", linkedAt: BASE_MS },
      ]);
    });

    it("creates nothing when a login already has an identity, and answers that identity", async () => {
      await storage().identities.createIdentityWithLogins(identity(IDENTITY_A), [login("alice")]);
      const second = await storage().identities.createIdentityWithLogins(identity(IDENTITY_B), [login("new"), login("alice")]);
      expect(second).toEqual({ identityId: IDENTITY_A, created: false });
      expect(await storage().identities.getIdentityStatus(IDENTITY_B)).toBeNull();
      expect(await storage().identities.findLoginOwner("default", login("new"))).toBeNull();
    });

    it("treats a login listed twice as one, when creating an identity and when linking", async () => {
      expect(await storage().identities.createIdentityWithLogins(identity(IDENTITY_A), [login("alice"), login("alice")])).toEqual({
        identityId: IDENTITY_A,
        created: true,
      });
      expect(await storage().identities.listLogins(IDENTITY_A)).toEqual([{ provider: ISSUER, subject: "alice", linkedAt: BASE_MS }]);
      await storage().pools.createIdentity(identity(IDENTITY_B, "default", "sha256:abc"));
      expect(await storage().identities.linkLogins(IDENTITY_B, "default", [login("bob"), login("bob")], BASE_MS + 1)).toEqual({ linkedElsewhere: null });
      expect(await storage().identities.listLogins(IDENTITY_B)).toEqual([{ provider: ISSUER, subject: "bob", linkedAt: BASE_MS + 1 }]);
      expect(await storage().identities.getIdentityStatus(IDENTITY_B)).toEqual(active(IDENTITY_B, false));
    });

    it("keeps a login's provider and subject as written, U+0000 included", async () => {
      const odd = login("user\u0000one", "dev\u0001eloper");
      await storage().identities.createIdentityWithLogins(identity(IDENTITY_A), [odd]);
      expect(await storage().identities.findLoginOwner("default", odd)).toBe(IDENTITY_A);
      expect(await storage().identities.findLoginOwner("default", login("user", "dev\u0001eloper"))).toBeNull();
      expect(await storage().identities.listLogins(IDENTITY_A)).toEqual([{ ...odd, linkedAt: BASE_MS }]);
      expect((await storage().identities.listIdentities("default", null, 10))[0]!.logins).toEqual([{ ...odd, linkedAt: BASE_MS }]);
      expect(await storage().identities.unlinkLogins(IDENTITY_A, odd.provider)).toBe(1);
    });

    it("gives two first sign-ins racing with one login the same identity", async () => {
      const results = await Promise.all(
        [IDENTITY_A, IDENTITY_B, IDENTITY_C].map((id) => storage().identities.createIdentityWithLogins(identity(id), [login("racer")])),
      );
      const owner = await storage().identities.findLoginOwner("default", login("racer"));
      expect(results.filter((result) => result.created)).toHaveLength(1);
      expect(new Set(results.map((result) => result.identityId))).toEqual(new Set([owner]));
    });

    it("reports a guest's secret without revealing it, and an unknown identity as null", async () => {
      await storage().pools.createIdentity(identity(IDENTITY_A, "default", "sha256:abc"));
      expect(await storage().identities.getIdentityStatus(IDENTITY_A)).toEqual(active(IDENTITY_A, true));
      expect(await storage().identities.getIdentityStatus(IDENTITY_B)).toBeNull();
    });

    it("links logins all or nothing: its own are fine, one held elsewhere links none", async () => {
      await storage().pools.createIdentity(identity(IDENTITY_A, "default", "sha256:abc"));
      await storage().identities.createIdentityWithLogins(identity(IDENTITY_B), [login("bob")]);
      expect(await storage().identities.linkLogins(IDENTITY_A, "default", [login("alice")], BASE_MS + 1)).toEqual({ linkedElsewhere: null });
      expect(await storage().identities.linkLogins(IDENTITY_A, "default", [login("alice")], BASE_MS + 2)).toEqual({ linkedElsewhere: null });
      expect(await storage().identities.linkLogins(IDENTITY_A, "default", [login("carol"), login("bob")], BASE_MS + 3)).toEqual({
        linkedElsewhere: IDENTITY_B,
      });
      expect(await storage().identities.listLogins(IDENTITY_A)).toEqual([{ provider: ISSUER, subject: "alice", linkedAt: BASE_MS + 1 }]);
      expect(await storage().identities.findLoginOwner("default", login("carol"))).toBeNull();
    });

    it("clears the device secret when a login is linked, and keeps it when the link is refused", async () => {
      await storage().pools.createIdentity(identity(IDENTITY_A, "default", "sha256:abc"));
      await storage().identities.createIdentityWithLogins(identity(IDENTITY_B), [login("bob")]);
      expect(await storage().identities.linkLogins(IDENTITY_A, "default", [login("bob")], BASE_MS)).toEqual({ linkedElsewhere: IDENTITY_B });
      expect((await storage().pools.getIdentity(IDENTITY_A))?.secretHash).toBe("sha256:abc");
      await storage().identities.linkLogins(IDENTITY_A, "default", [login("alice")], BASE_MS + 1);
      expect((await storage().pools.getIdentity(IDENTITY_A))?.secretHash).toBeNull();
      expect(await storage().identities.getIdentityStatus(IDENTITY_A)).toEqual(active(IDENTITY_A, false));
    });

    it("unlinks the logins of one provider and says how many", async () => {
      await storage().identities.createIdentityWithLogins(identity(IDENTITY_A), [login("a1"), login("a2"), login("dev", "developer")]);
      expect(await storage().identities.unlinkLogins(IDENTITY_A, ISSUER)).toBe(2);
      expect(await storage().identities.unlinkLogins(IDENTITY_A, ISSUER)).toBe(0);
      expect((await storage().identities.listLogins(IDENTITY_A)).map((row) => row.subject)).toEqual(["dev"]);
      expect(await storage().identities.findLoginOwner("default", login("a1"))).toBeNull();
    });

    it("keeps subjects apart that differ only by U+0000", async () => {
      await storage().identities.createIdentityWithLogins(identity(IDENTITY_A), [login("sub\u0000x")]);
      await storage().identities.createIdentityWithLogins(identity(IDENTITY_B), [login("sub")]);
      expect(await storage().identities.findLoginOwner("default", login("sub\u0000x"))).toBe(IDENTITY_A);
      expect(await storage().identities.findLoginOwner("default", login("sub"))).toBe(IDENTITY_B);
      expect((await storage().identities.listLogins(IDENTITY_A))[0]?.subject).toBe("sub\u0000x");
    });

    it("disables an identity once (keeping the first time) and refuses its writes", async () => {
      await storage().pools.createIdentity(identity(IDENTITY_A, "default", "sha256:abc"));
      await commitPush(storage(), IDENTITY_A, "notes", 1, [makeRecord("a", 1)]);
      expect(await storage().identities.disableIdentity(IDENTITY_A, BASE_MS + 5)).toBe(true);
      expect(await storage().identities.disableIdentity(IDENTITY_A, BASE_MS + 9)).toBe(true);
      expect(await storage().identities.disableIdentity(IDENTITY_B, BASE_MS)).toBe(false);
      expect(await storage().identities.getIdentityStatus(IDENTITY_A)).toEqual({ ...active(IDENTITY_A, true), disabledAt: BASE_MS + 5 });
      const write = storage().datasets.writeDataset(IDENTITY_A, "notes", (tx) => tx.saveRecords([makeRecord("b", 2)]));
      await expect(write).rejects.toMatchObject({ code: "UNAUTHENTICATED", details: { reason: "IDENTITY_DISABLED" } });
      expect((await readAll(IDENTITY_A, "notes")).records.map((record) => record.key)).toEqual(["a"]);
    });

    it("lists a pool's identities by id, paged, with their logins and never a secret", async () => {
      await storage().pools.createIdentity(identity(IDENTITY_B, "default", "sha256:secret"));
      await storage().identities.createIdentityWithLogins(identity(IDENTITY_A), [login("alice")]);
      await storage().identities.createIdentityWithLogins(identity(IDENTITY_C), []);
      await storage().pools.createIdentity(identity("local:99999999-0000-4000-8000-000000000000", "other-pool"));
      const first = await storage().identities.listIdentities("default", null, 2);
      expect(first).toEqual([
        { ...active(IDENTITY_A, false), createdAt: BASE_MS, logins: [{ provider: ISSUER, subject: "alice", linkedAt: BASE_MS }] },
        { ...active(IDENTITY_C, false), createdAt: BASE_MS, logins: [] },
      ]);
      const second = await storage().identities.listIdentities("default", IDENTITY_C, 2);
      expect(second).toEqual([{ ...active(IDENTITY_B, true), createdAt: BASE_MS, logins: [] }]);
      expect(JSON.stringify(second)).not.toContain("sha256");
    });
  });

  describe("identities: merge transactions", () => {
    const pairs = [
      { identityId: IDENTITY_A, name: "notes" },
      { identityId: IDENTITY_B, name: "notes" },
      { identityId: IDENTITY_B, name: "notes.merged" },
    ];
    async function twoIdentities(): Promise<void> {
      await storage().pools.createIdentity(identity(IDENTITY_A, "default", "sha256:guest"));
      await storage().identities.createIdentityWithLogins(identity(IDENTITY_B), [login("target")]);
      await storage().identities.linkLogins(IDENTITY_A, "default", [login("guest-login")], BASE_MS);
      await commitPush(storage(), IDENTITY_A, "notes", 1, [makeRecord("guest", 1)]);
      await commitPush(storage(), IDENTITY_B, "notes", 3, [makeRecord("target", 3)]);
    }

    it("commits every dataset, the moved logins and the source's status together", async () => {
      await twoIdentities();
      const result = await storage().identities.writeMerge(IDENTITY_A, IDENTITY_B, pairs, async (tx) => {
        expect(tx.source).toEqual(active(IDENTITY_A, false)); // its linked login cleared the secret
        expect((await tx.listDatasets(IDENTITY_A)).map((row) => row.name)).toEqual(["notes"]);
        const target = tx.dataset(IDENTITY_B, "notes");
        expect(target.dataset?.syncCount).toBe(3);
        await target.saveRecords([makeRecord("guest", 4)]);
        await target.saveDataset(makeDataset(IDENTITY_B, "notes", 4, { recordCount: 2 }));
        const copy = tx.dataset(IDENTITY_B, "notes.merged");
        await copy.saveRecords([makeRecord("copy", 1)]);
        await copy.saveDataset(makeDataset(IDENTITY_B, "notes.merged", 1, { recordCount: 1 }));
        await tx.moveLogins(IDENTITY_A, IDENTITY_B);
        await tx.markMerged(IDENTITY_A, IDENTITY_B, BASE_MS + 7);
        await tx.saveMergedDataset({
          identityId: IDENTITY_B,
          dataset: "notes",
          syncCount: 4,
          mergedDataset: "notes.merged",
          sourceIdentityId: IDENTITY_A,
          mergedAt: BASE_MS + 7,
        });
        expect(() => tx.dataset(IDENTITY_A, "other")).toThrow(/not locked/);
        return "merged";
      });
      expect(result).toBe("merged");
      expect((await readAll(IDENTITY_B, "notes")).records.map((record) => record.key)).toEqual(["target", "guest"]);
      expect((await readAll(IDENTITY_B, "notes.merged")).dataset?.syncCount).toBe(1);
      expect(await storage().identities.findLoginOwner("default", login("guest-login"))).toBe(IDENTITY_B);
      expect(await storage().identities.getIdentityStatus(IDENTITY_A)).toEqual({ ...active(IDENTITY_A, false), disabledAt: BASE_MS + 7, mergedInto: IDENTITY_B });
      expect(await storage().identities.listMergedDatasetNames(IDENTITY_B, "notes", 3, 4)).toEqual(["notes.merged"]);
      expect(await storage().identities.listMergedDatasetNames(IDENTITY_B, "notes", 4, 4)).toEqual([]);
      expect(await storage().identities.listMergedDatasetNames(IDENTITY_B, "notes", 0, 3)).toEqual([]);
      await expect(storage().datasets.writeDataset(IDENTITY_A, "notes", async () => 1)).rejects.toMatchObject({
        code: "UNAUTHENTICATED",
        details: { reason: "IDENTITY_MERGED", mergedInto: IDENTITY_B },
      });
    });

    it("changes nothing when the callback throws", async () => {
      await twoIdentities();
      const before = await readAll(IDENTITY_B, "notes");
      const boom = new Error("limit");
      const merge = storage().identities.writeMerge(IDENTITY_A, IDENTITY_B, pairs, async (tx) => {
        await tx.dataset(IDENTITY_B, "notes").saveRecords([makeRecord("guest", 4)]);
        await tx.dataset(IDENTITY_B, "notes").saveDataset(makeDataset(IDENTITY_B, "notes", 4));
        await tx.moveLogins(IDENTITY_A, IDENTITY_B);
        await tx.markMerged(IDENTITY_A, IDENTITY_B, BASE_MS);
        throw boom;
      });
      await expect(merge).rejects.toBe(boom);
      expect(await readAll(IDENTITY_B, "notes")).toEqual(before);
      expect(await storage().identities.findLoginOwner("default", login("guest-login"))).toBe(IDENTITY_A);
      expect(await storage().identities.getIdentityStatus(IDENTITY_A)).toEqual(active(IDENTITY_A, false));
    });

    it("holds its datasets until commit: a waiting push to the source is then refused, one to the target sees the merge", async () => {
      await twoIdentities();
      const release = deferred();
      const holding = deferred();
      const merge = storage().identities.writeMerge(IDENTITY_A, IDENTITY_B, pairs, async (tx) => {
        holding.resolve();
        await release.promise;
        await tx.dataset(IDENTITY_B, "notes").saveRecords([makeRecord("guest", 4)]);
        await tx.dataset(IDENTITY_B, "notes").saveDataset(makeDataset(IDENTITY_B, "notes", 4, { recordCount: 2 }));
        await tx.markMerged(IDENTITY_A, IDENTITY_B, BASE_MS);
      });
      // The callback runs once the merge holds its locks (on PostgreSQL, round trips later).
      await holding.promise;
      const sourcePush = storage().datasets.writeDataset(IDENTITY_A, "notes", (tx) => tx.saveRecords([makeRecord("late", 2)]));
      // On SQLite the pushes may share the merge's group commit and be refused before it resolves.
      const sourceRefusal = sourcePush.then(
        () => null,
        (error: unknown) => error,
      );
      const targetPush = storage().datasets.writeDataset(IDENTITY_B, "notes", async (tx) => tx.dataset?.syncCount);
      for (let i = 0; i < 5; i++) await yieldToOthers();
      release.resolve();
      await merge;
      expect(await sourceRefusal).toMatchObject({ code: "UNAUTHENTICATED" });
      expect(await targetPush).toBe(4);
      expect((await readAll(IDENTITY_A, "notes")).records.map((record) => record.key)).toEqual(["guest"]);
    });
  });
}
