/**
 * The group claims of a user's tokens (`group-claims.ts`): order by precedence then name, roles
 * without repeats, and the preferred role only when one role holds the lowest precedence.
 */
import { describe, expect, it } from "vitest";
import type { UserPoolGroup } from "../../server/storage/user-pool-store.js";
import { groupClaims } from "../../server/user-pool/group-claims.js";

const group = (groupName: string, precedence: number | null, roleArn: string | null = null): UserPoolGroup => ({
  poolId: "local_default",
  groupName,
  description: null,
  roleArn,
  precedence,
  createdAt: 0,
  updatedAt: 0,
});
const ADMIN = "arn:aws:iam::000000000000:role/admin";
const EDITOR = "arn:aws:iam::000000000000:role/editor";

describe("user-pool group claims", () => {
  it("gives a user without groups no group claims", () => {
    expect(groupClaims([])).toEqual({});
  });

  it("lists groups by precedence, those without one last, then by name, and prefers the lowest precedence's role", () => {
    expect(groupClaims([group("zeta", null, EDITOR), group("beta", 2, EDITOR), group("alpha", 2), group("admins", 1, ADMIN)])).toEqual({
      "cognito:groups": ["admins", "alpha", "beta", "zeta"],
      "cognito:roles": [ADMIN, EDITOR],
      "cognito:preferred_role": ADMIN,
    });
  });

  it("names no preferred role when groups of different roles share the lowest precedence, or none has a precedence", () => {
    expect(groupClaims([group("a", 1, ADMIN), group("b", 1, EDITOR)])["cognito:preferred_role"]).toBeUndefined();
    expect(groupClaims([group("a", 1, ADMIN), group("b", 1, ADMIN)])["cognito:preferred_role"]).toBe(ADMIN);
    expect(groupClaims([group("a", null, ADMIN)])).toEqual({ "cognito:groups": ["a"], "cognito:roles": [ADMIN] });
  });

  it("leaves out the role claims when no group has a role", () => {
    expect(groupClaims([group("family", 0)])).toEqual({ "cognito:groups": ["family"] });
  });
});
