/**
 * Conformance: the user pool's groups (`UserPoolGroupStore`). A group is created once per name and
 * pool and read back exactly; listings page by name (groups) and by sub (members); membership is
 * idempotent; deleting a group or a user takes its memberships along.
 */
import { describe, expect, it } from "vitest";
import type { Storage } from "../../server/storage/storage.js";
import type { UserPoolGroup } from "../../server/storage/user-pool-store.js";
import { BASE_MS, USER_POOL, makeUserPoolUser } from "./storage-fixtures.js";

const POOL = USER_POOL;

function makeGroup(groupName: string, overrides: Partial<UserPoolGroup> = {}): UserPoolGroup {
  return { poolId: POOL, groupName, description: null, roleArn: null, precedence: null, createdAt: BASE_MS, updatedAt: BASE_MS, ...overrides };
}

/** Group members are confirmed users. */
function makeUser(username: string) {
  return makeUserPoolUser(username, { status: "CONFIRMED" });
}

/** Registers the user-pool group tests; `storage` returns the current test's storage. */
export function describeUserPoolGroups(storage: () => Storage): void {
  describe("user pool groups", () => {
    it("creates a group once per pool and name and returns it exactly", async () => {
      const family = makeGroup("family", { description: "Our family", roleArn: "arn:aws:iam::000000000000:role/editor", precedence: 3 });
      expect(await storage().userPools.createGroup(family)).toBe(true);
      expect(await storage().userPools.createGroup(makeGroup("family", { description: "another" }))).toBe(false);
      expect(await storage().userPools.getGroup(POOL, "family")).toEqual(family);
      expect(await storage().userPools.getGroup(POOL, "Family")).toBeNull();
      expect(await storage().userPools.createGroup(makeGroup("family", { poolId: "other_pool" }))).toBe(true);
    });

    it("lists a pool's groups by name, a page at a time", async () => {
      for (const name of ["c", "a", "b"]) await storage().userPools.createGroup(makeGroup(name));
      await storage().userPools.createGroup(makeGroup("z", { poolId: "other_pool" }));
      const first = await storage().userPools.listGroups(POOL, null, 2);
      expect({ names: first.items.map((group) => group.groupName), next: first.next }).toEqual({ names: ["a", "b"], next: "b" });
      const second = await storage().userPools.listGroups(POOL, first.next, 2);
      expect({ names: second.items.map((group) => group.groupName), next: second.next }).toEqual({ names: ["c"], next: null });
    });

    it("adds a member once, lists a user's groups and a group's members, and removes a member", async () => {
      for (const name of ["bob", "alice"]) await storage().userPools.createUser(makeUser(name), {});
      for (const name of ["staff", "family"]) await storage().userPools.createGroup(makeGroup(name));
      await storage().userPools.addGroupMember(POOL, "family", "sub-of-alice", BASE_MS);
      await storage().userPools.addGroupMember(POOL, "family", "sub-of-alice", BASE_MS + 1);
      await storage().userPools.addGroupMember(POOL, "family", "sub-of-bob", BASE_MS);
      await storage().userPools.addGroupMember(POOL, "staff", "sub-of-alice", BASE_MS);
      expect((await storage().userPools.listUserGroups(POOL, "sub-of-alice")).map((group) => group.groupName)).toEqual(["family", "staff"]);
      const page = await storage().userPools.listGroupMembers(POOL, "family", null, 1);
      expect(page).toEqual({ items: ["sub-of-alice"], next: "sub-of-alice" });
      expect(await storage().userPools.listGroupMembers(POOL, "family", page.next, 1)).toEqual({ items: ["sub-of-bob"], next: "sub-of-bob" });
      expect(await storage().userPools.removeGroupMember(POOL, "family", "sub-of-bob")).toBe(true);
      expect(await storage().userPools.removeGroupMember(POOL, "family", "sub-of-bob")).toBe(false);
      expect(await storage().userPools.listGroupMembers(POOL, "family", null, 10)).toEqual({ items: ["sub-of-alice"], next: null });
    });

    it("takes memberships along when a group or a user is deleted", async () => {
      for (const name of ["bob", "alice"]) await storage().userPools.createUser(makeUser(name), {});
      for (const name of ["staff", "family"]) await storage().userPools.createGroup(makeGroup(name));
      for (const sub of ["sub-of-alice", "sub-of-bob"]) {
        await storage().userPools.addGroupMember(POOL, "family", sub, BASE_MS);
        await storage().userPools.addGroupMember(POOL, "staff", sub, BASE_MS);
      }
      expect(await storage().userPools.deleteGroup(POOL, "staff")).toBe(true);
      expect(await storage().userPools.deleteGroup(POOL, "staff")).toBe(false);
      expect((await storage().userPools.listUserGroups(POOL, "sub-of-alice")).map((group) => group.groupName)).toEqual(["family"]);
      expect(await storage().userPools.deleteUser(POOL, "sub-of-bob")).toBe(true);
      expect((await storage().userPools.listGroupMembers(POOL, "family", null, 10)).items).toEqual(["sub-of-alice"]);
      await storage().userPools.createGroup(makeGroup("staff"));
      expect((await storage().userPools.listGroupMembers(POOL, "staff", null, 10)).items).toEqual([]);
    });
  });
}
