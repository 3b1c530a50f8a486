/**
 * Conformance: the user pool's passkeys (`UserPoolWebAuthnStore`). A credential id is stored once
 * per pool and read back exactly (transports included); a user's list pages by credential id and
 * never shows another user's; deleting needs the owner; the counter moves only from the value the
 * caller saw; deleting the user takes the credentials along.
 */
import { describe, expect, it } from "vitest";
import type { Storage } from "../../server/storage/storage.js";
import type { UserPoolWebAuthnCredential } from "../../server/storage/user-pool-store.js";
import { BASE_MS, USER_POOL, makeUserPoolUser } from "./storage-fixtures.js";

const POOL = USER_POOL;

function makeCredential(credentialId: string, username: string, overrides: Partial<UserPoolWebAuthnCredential> = {}): UserPoolWebAuthnCredential {
  return {
    poolId: POOL,
    credentialId,
    sub: `sub-of-${username}`,
    publicKey: "pQECAyYgASFYIGs",
    signCount: 0,
    transports: ["internal", "hybrid"],
    friendlyName: "Passkey",
    relyingPartyId: "example.com",
    authenticatorAttachment: "platform",
    createdAt: BASE_MS,
    lastUsedAt: null,
    ...overrides,
  };
}

/** Registers the passkey tests; `storage` returns the current test's storage. */
export function describeUserPoolWebAuthn(storage: () => Storage): void {
  describe("user pool passkeys", () => {
    const withUsers = async (...names: string[]) => {
      for (const name of names) await storage().userPools.createUser(makeUserPoolUser(name, { status: "CONFIRMED" }), {});
    };

    it("stores a credential id once per pool and returns it exactly", async () => {
      await withUsers("alice", "bob");
      const key = makeCredential("cred-1", "alice", { signCount: 7, authenticatorAttachment: null, transports: [] });
      expect(await storage().userPools.addWebAuthnCredential(key)).toBe(true);
      expect(await storage().userPools.addWebAuthnCredential(makeCredential("cred-1", "bob"))).toBe(false);
      expect(await storage().userPools.getWebAuthnCredential(POOL, "cred-1")).toEqual(key);
      expect(await storage().userPools.getWebAuthnCredential(POOL, "CRED-1")).toBeNull();
      expect(await storage().userPools.getWebAuthnCredential("other_pool", "cred-1")).toBeNull();
    });

    it("lists and counts a user's credentials by id, a page at a time, never another user's", async () => {
      await withUsers("alice", "bob");
      for (const id of ["c", "a", "b"]) await storage().userPools.addWebAuthnCredential(makeCredential(id, "alice"));
      await storage().userPools.addWebAuthnCredential(makeCredential("d", "bob"));
      const first = await storage().userPools.listWebAuthnCredentials(POOL, "sub-of-alice", null, 2);
      expect({ ids: first.items.map((item) => item.credentialId), next: first.next }).toEqual({ ids: ["a", "b"], next: "b" });
      const second = await storage().userPools.listWebAuthnCredentials(POOL, "sub-of-alice", first.next, 2);
      expect({ ids: second.items.map((item) => item.credentialId), next: second.next }).toEqual({ ids: ["c"], next: null });
      expect(await storage().userPools.countWebAuthnCredentials(POOL, "sub-of-alice")).toBe(3);
      expect(await storage().userPools.countWebAuthnCredentials(POOL, "sub-of-nobody")).toBe(0);
    });

    it("deletes a credential only for its owner", async () => {
      await withUsers("alice", "bob");
      await storage().userPools.addWebAuthnCredential(makeCredential("cred-1", "alice"));
      expect(await storage().userPools.deleteWebAuthnCredential(POOL, "sub-of-bob", "cred-1")).toBe(false);
      expect(await storage().userPools.deleteWebAuthnCredential(POOL, "sub-of-alice", "cred-1")).toBe(true);
      expect(await storage().userPools.deleteWebAuthnCredential(POOL, "sub-of-alice", "cred-1")).toBe(false);
      expect(await storage().userPools.getWebAuthnCredential(POOL, "cred-1")).toBeNull();
    });

    it("moves the counter only from the value the caller saw", async () => {
      await withUsers("alice");
      await storage().userPools.addWebAuthnCredential(makeCredential("cred-1", "alice", { signCount: 4 }));
      expect(await storage().userPools.useWebAuthnCredential(POOL, "cred-1", 4, 5, BASE_MS + 1000)).toBe(true);
      expect(await storage().userPools.useWebAuthnCredential(POOL, "cred-1", 4, 6, BASE_MS + 2000)).toBe(false);
      expect(await storage().userPools.getWebAuthnCredential(POOL, "cred-1")).toMatchObject({ signCount: 5, lastUsedAt: BASE_MS + 1000 });
    });

    it("takes a user's credentials along when the user is deleted", async () => {
      await withUsers("alice");
      await storage().userPools.addWebAuthnCredential(makeCredential("cred-1", "alice"));
      expect(await storage().userPools.deleteUser(POOL, "sub-of-alice")).toBe(true);
      expect(await storage().userPools.getWebAuthnCredential(POOL, "cred-1")).toBeNull();
    });
  });
}
