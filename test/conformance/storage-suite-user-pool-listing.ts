/**
 * Conformance: listing a pool's users (`UserPoolStore.listUsers`) and changing a group
 * (`updateGroup`). Users page by username; a filter keeps exact or prefix matches of a column or
 * an attribute, case-sensitively and with `%` and `_` taken literally on both backends.
 */
import { describe, expect, it } from "vitest";
import type { Storage } from "../../server/storage/storage.js";
import type { UserPoolUserFilter } from "../../server/storage/user-pool-store.js";
import { BASE_MS, USER_POOL as POOL, makeUserPoolUser } from "./storage-fixtures.js";

/** Registers the listing tests; `storage` returns the current test's storage. */
export function describeUserPoolListing(storage: () => Storage): void {
  describe("user pool listings", () => {
    async function seed(): Promise<void> {
      await storage().userPools.createUser(makeUserPoolUser("carol", { status: "CONFIRMED" }), { email: "carol@example.com", given_name: "Carol" });
      await storage().userPools.createUser(makeUserPoolUser("alice", { status: "CONFIRMED", enabled: false }), { email: "alice@example.com" });
      await storage().userPools.createUser(makeUserPoolUser("bob"), { email: "bob%_@example.org" });
      await storage().userPools.createUser(makeUserPoolUser("alex", { poolId: "other_pool" }), { email: "alex@example.com" });
    }
    const names = async (filter: UserPoolUserFilter | null) => (await storage().userPools.listUsers(POOL, filter, null, 10)).items.map((user) => user.username);

    it("lists a pool's users by username, a page at a time, with their attributes", async () => {
      await seed();
      const first = await storage().userPools.listUsers(POOL, null, null, 2);
      expect({ names: first.items.map((user) => user.username), next: first.next }).toEqual({ names: ["alice", "bob"], next: "bob" });
      expect(first.items[0]).toEqual({ ...makeUserPoolUser("alice", { status: "CONFIRMED", enabled: false }), attributes: { email: "alice@example.com" } });
      const second = await storage().userPools.listUsers(POOL, null, first.next, 2);
      expect({ names: second.items.map((user) => user.username), next: second.next }).toEqual({ names: ["carol"], next: null });
    });

    it("keeps the users whose column or attribute equals a value or starts with it", async () => {
      await seed();
      expect(await names({ field: { attribute: "email" }, value: "carol@example.com", prefix: false })).toEqual(["carol"]);
      expect(await names({ field: { attribute: "email" }, value: "Carol@example.com", prefix: false })).toEqual([]);
      expect(await names({ field: { attribute: "email" }, value: "a", prefix: true })).toEqual(["alice"]);
      expect(await names({ field: { attribute: "email" }, value: "bob%_", prefix: true })).toEqual(["bob"]);
      expect(await names({ field: { attribute: "email" }, value: "b%", prefix: true })).toEqual([]);
      expect(await names({ field: { attribute: "given_name" }, value: "Car", prefix: true })).toEqual(["carol"]);
      expect(await names({ field: { column: "username" }, value: "al", prefix: true })).toEqual(["alice"]);
      expect(await names({ field: { column: "status" }, value: "UNCONFIRMED", prefix: false })).toEqual(["bob"]);
      expect(await names({ field: { column: "enabled" }, value: "false", prefix: false })).toEqual(["alice"]);
      expect(await names({ field: { column: "sub" }, value: "sub-of-carol", prefix: false })).toEqual(["carol"]);
    });

    it("changes a group's description, role and precedence, and only a group that exists", async () => {
      const group = { poolId: POOL, groupName: "family", description: null, roleArn: null, precedence: null, createdAt: BASE_MS, updatedAt: BASE_MS };
      expect(await storage().userPools.updateGroup(group)).toBe(false);
      await storage().userPools.createGroup(group);
      const changed = { ...group, description: "Our family", roleArn: "arn:aws:iam::000000000000:role/editor", precedence: 2, updatedAt: BASE_MS + 1000 };
      expect(await storage().userPools.updateGroup(changed)).toBe(true);
      expect(await storage().userPools.getGroup(POOL, "family")).toEqual(changed);
    });
  });
}
