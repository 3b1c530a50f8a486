/**
 * Conformance: group members (`GroupStore`). Membership is per pool and per group, adding twice
 * is harmless, and an identity merge moves memberships to the kept identity without duplicates.
 */
import { describe, expect, it } from "vitest";
import type { Storage } from "../../server/storage/storage.js";
import { BASE_MS, IDENTITY_A, IDENTITY_B } from "./storage-fixtures.js";

const IDENTITY_C = "local:cccccccc-cccc-4ccc-8ccc-cccccccccccc";

/** Registers the group tests; `storage` returns the current test's storage. */
export function describeGroups(storage: () => Storage): void {
  describe("group members", () => {
    it("adds a member once and says whether it was new", async () => {
      expect(await storage().groups.addGroupMember("default", "family-42", IDENTITY_A, BASE_MS)).toBe(true);
      expect(await storage().groups.addGroupMember("default", "family-42", IDENTITY_A, BASE_MS + 1)).toBe(false);
      expect(await storage().groups.listGroupMembers("default", "family-42")).toEqual([IDENTITY_A]);
    });

    it("lists members by identity id and groups by name, never across pools", async () => {
      await storage().groups.addGroupMember("default", "family-42", IDENTITY_B, BASE_MS);
      await storage().groups.addGroupMember("default", "family-42", IDENTITY_A, BASE_MS);
      await storage().groups.addGroupMember("default", "chess", IDENTITY_A, BASE_MS);
      await storage().groups.addGroupMember("local:other", "family-42", IDENTITY_C, BASE_MS);
      expect(await storage().groups.listGroupMembers("default", "family-42")).toEqual([IDENTITY_A, IDENTITY_B]);
      expect(await storage().groups.listIdentityGroups("default", IDENTITY_A)).toEqual(["chess", "family-42"]);
      expect(await storage().groups.listIdentityGroups("default", IDENTITY_C)).toEqual([]);
      expect(await storage().groups.listGroupMembers("local:other", "family-42")).toEqual([IDENTITY_C]);
      expect(await storage().groups.listGroupMembers("default", "nobody")).toEqual([]);
    });

    it("removes a member and says whether it was one", async () => {
      await storage().groups.addGroupMember("default", "family-42", IDENTITY_A, BASE_MS);
      await storage().groups.addGroupMember("default", "family-42", IDENTITY_B, BASE_MS);
      expect(await storage().groups.removeGroupMember("default", "family-42", IDENTITY_A)).toBe(true);
      expect(await storage().groups.removeGroupMember("default", "family-42", IDENTITY_A)).toBe(false);
      expect(await storage().groups.listGroupMembers("default", "family-42")).toEqual([IDENTITY_B]);
    });

    it("moves memberships to the kept identity, keeping one where both were members", async () => {
      await storage().groups.addGroupMember("default", "family-42", IDENTITY_A, BASE_MS);
      await storage().groups.addGroupMember("default", "chess", IDENTITY_A, BASE_MS);
      await storage().groups.addGroupMember("default", "chess", IDENTITY_B, BASE_MS);
      expect(await storage().groups.moveGroupMemberships(IDENTITY_A, IDENTITY_B)).toBe(2);
      expect(await storage().groups.listIdentityGroups("default", IDENTITY_A)).toEqual([]);
      expect(await storage().groups.listIdentityGroups("default", IDENTITY_B)).toEqual(["chess", "family-42"]);
      expect(await storage().groups.listGroupMembers("default", "chess")).toEqual([IDENTITY_B]);
    });
  });
}
