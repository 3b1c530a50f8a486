/**
 * Roles and rules, pure: policy evaluation (allow, deny wins, patterns, variables, tags) and role
 * resolution (rules in order, match types, ambiguous resolution, token mapping, principal tags).
 */
import { describe, expect, it } from "vitest";
import type { PolicyAction } from "../../server/identity/access-settings.js";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { isAllowed, patternMatches, type PolicySubject } from "../../server/identity/policy.js";
import { resolveGrant } from "../../server/identity/resolve-grant.js";

const subject = (role: string | null, tags: Record<string, string> = {}): PolicySubject => ({
  identityId: "local:0f8fad5b-d9cb-469f-a165-70867728950e",
  poolId: "app",
  role,
  tags,
});

const pool = poolSettingsSchema.parse({
  id: "app",
  providers: [
    { name: "idp", issuer: "https://idp.example", audiences: ["app"] },
    { name: "corp", issuer: "https://corp.example", audiences: ["app"] },
    { name: "strict", issuer: "https://strict.example", audiences: ["app"] },
  ],
  roles: {
    guest: { policies: [{ effect: "allow", actions: ["read"], datasets: ["public-*"] }] },
    reader: {
      policies: [
        { effect: "allow", actions: ["read"], datasets: ["*"] },
        { effect: "deny", actions: ["read"], datasets: ["secret-*"] },
      ],
    },
    editor: {
      policies: [
        { effect: "allow", actions: ["read", "write", "delete", "configure"], datasets: ["*"] },
        { effect: "deny", actions: ["delete"], datasets: ["audit"] },
      ],
    },
    team: { policies: [{ effect: "allow", actions: ["read", "write"], datasets: ["team-${tag:team}", "own-${claim:sub}"] }] },
    empty: { policies: [] },
  },
  guestRole: "guest",
  authenticatedRole: "reader",
  roleMappings: {
    idp: {
      type: "rules",
      rules: [
        { claim: "groups", matchType: "Contains", value: "edit", role: "editor" },
        { claim: "dept", matchType: "Equals", value: "eng", role: "team" },
        { claim: "email", matchType: "StartsWith", value: "ops@", role: "editor" },
        { claim: "level", matchType: "NotEqual", value: "intern", role: "team" },
      ],
    },
    corp: { type: "token", allowedRoles: ["editor", "reader"] },
    strict: { type: "rules", rules: [{ claim: "dept", matchType: "Equals", value: "eng", role: "team" }], ambiguousRoleResolution: "DENY" },
  },
  principalTags: { team: "team", sub: "sub" },
});

describe("policy evaluation", () => {
  const cases: Array<[string, string | null, Record<string, string>, PolicyAction[], string, boolean]> = [
    ["guest reads a public dataset", "guest", {}, ["read"], "public-news", true],
    ["guest may not write a public dataset", "guest", {}, ["write"], "public-news", false],
    ["guest may not read a private one", "guest", {}, ["read"], "notes", false],
    ["reader reads anything allowed", "reader", {}, ["read"], "notes", true],
    ["deny wins over allow", "reader", {}, ["read"], "secret-plans", false],
    ["a pattern matches the whole name only", "reader", {}, ["read"], "my-secret-plans", true],
    ["reader may not write", "reader", {}, ["write"], "notes", false],
    ["editor writes and deletes", "editor", {}, ["write", "delete"], "notes", true],
    ["every action must be allowed", "editor", {}, ["write", "delete"], "audit", false],
    ["editor may write the audit dataset", "editor", {}, ["write"], "audit", true],
    ["a tag variable matches its value", "team", { team: "blue" }, ["write"], "team-blue", true],
    ["a tag variable matches no other value", "team", { team: "blue" }, ["write"], "team-red", false],
    ["a missing tag matches nothing", "team", {}, ["read"], "team-", false],
    ["a claim variable: sub is the identity id", "team", {}, ["read"], "own-local:0f8fad5b-d9cb-469f-a165-70867728950e", true],
    ["a tag value is literal, never a wildcard", "team", { team: ".*" }, ["read"], "team-x", false],
    ["a role without policies allows nothing", "empty", {}, ["read"], "anything", false],
    ["a token without a role is denied in a pool with roles", null, {}, ["read"], "public-news", false],
    ["a role the pool no longer has is denied", "gone", {}, ["read"], "public-news", false],
  ];
  it.each(cases)("%s", (_name, role, tags, actions, dataset, allowed) => {
    expect(isAllowed(pool, subject(role, tags), actions, dataset)).toBe(allowed);
  });

  it("allows everything when the pool defines no roles", () => {
    expect(isAllowed({ roles: {} }, subject(null), ["read", "write", "delete", "configure"], "anything")).toBe(true);
  });

  it("matches * against any run of characters, none included", () => {
    expect(patternMatches("a*b*c", "abc", subject(null))).toBe(true);
    expect(patternMatches("a*b*c", "a.x:b-yc", subject(null))).toBe(true);
    expect(patternMatches("a*c", "ab", subject(null))).toBe(false);
    expect(patternMatches("a.c", "abc", subject(null))).toBe(false);
  });
});

describe("role resolution", () => {
  const login = (providerName: string, claims: Record<string, unknown>) => ({ providerName, claims: { sub: "u1", aud: "app", ...claims } });
  const roleOf = (providerName: string, claims: Record<string, unknown>) => resolveGrant(pool, login(providerName, claims)).role;

  it.each([
    ["Contains in an array claim", { groups: ["readers", "editors"] }, "editor"],
    ["Contains in a string claim", { groups: "team-editors" }, "editor"],
    ["Equals", { dept: "eng" }, "team"],
    ["first match wins", { dept: "eng", groups: ["editors"] }, "editor"],
    ["StartsWith", { email: "ops@example.com" }, "editor"],
    ["NotEqual matches another value", { level: "senior" }, "team"],
    ["NotEqual does not match the value", { level: "intern" }, "reader"],
    ["NotEqual does not match an absent claim", {}, "reader"],
    ["no rule matches: the authenticated role", { dept: "sales" }, "reader"],
  ] as const)("rules: %s", (_name, claims, role) => {
    expect(roleOf("idp", claims)).toBe(role);
  });

  it("refuses an ambiguous login when the mapping says DENY", () => {
    expect(() => roleOf("strict", { dept: "sales" })).toThrow(expect.objectContaining({ code: "FORBIDDEN", details: { reason: "NO_ROLE" } }));
    expect(roleOf("strict", { dept: "eng" })).toBe("team");
  });

  it.each([
    ["one allowed role", { roles: ["editor"] }, "editor"],
    ["a string claim", { roles: "editor" }, "editor"],
    ["several, with a preferred one", { roles: ["editor", "reader"], preferred_role: "reader" }, "reader"],
    ["several without a preferred one: ambiguous", { roles: ["editor", "reader"] }, "reader"],
    ["a preferred role not listed is ignored", { roles: ["editor"], preferred_role: "team" }, "editor"],
    ["a role the mapping does not allow: ambiguous", { roles: ["team"] }, "reader"],
    ["a role the pool does not have: ambiguous", { roles: ["superuser"] }, "reader"],
  ] as const)("token mapping: %s", (_name, claims, role) => {
    expect(roleOf("corp", claims)).toBe(role);
  });

  it("gives guests the guest role and no tags, and logins their principal tags", () => {
    expect(resolveGrant(pool, null)).toEqual({ role: "guest", tags: {}, authenticated: false });
    expect(resolveGrant(pool, login("idp", { team: "blue", aud: ["app"] }))).toEqual({
      role: "reader",
      tags: { team: "blue", sub: "u1" },
      authenticated: true,
    });
  });

  it("grants no role in a pool without roles, and takes the default tags sub and aud", () => {
    const plain = poolSettingsSchema.parse({ id: "plain" });
    expect(resolveGrant(plain, login("any", { aud: "app", team: "x" }))).toEqual({ role: null, tags: { sub: "u1", aud: "app" }, authenticated: true });
    expect(resolveGrant(plain, null)).toEqual({ role: null, tags: {}, authenticated: false });
  });
});
