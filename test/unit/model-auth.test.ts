/**
 * The model API's rule checks (`server/models/model-auth.ts`): which principal each `@auth` rule
 * admits, for which operation, and where its items live.
 */
import { describe, expect, it } from "vitest";
import { accessOf, namesOnlyCaller, ownerNamesCaller, subscriptionAccessOf, type ModelPrincipal } from "../../server/models/model-auth.js";
import { parseAppModels } from "../../server/models/model-schema.js";

const app = parseAppModels(`
  type Diary @model @auth(rules: [{ allow: owner }]) { id: ID! entry: String! }
  type Report @model @auth(rules: [{ allow: groups, groups: ["admins"] }]) { id: ID! text: String }
  type Catalog @model @auth(rules: [{ allow: private, operations: [read] }, { allow: groups, groups: ["editors"] }]) { id: ID! name: String }
  type Board @model @auth(rules: [{ allow: public, operations: [read] }]) { id: ID! title: String }
  type Shared @model @auth(rules: [{ allow: groups, groupsField: "teams" }]) { id: ID! teams: [String] }
  type Feed @model @auth(rules: [{ allow: private, provider: iam }, { allow: public }]) { id: ID! }
  type Essay @model @auth(rules: [{ allow: owner, ownerField: "author", identityClaim: "sub" }]) { id: ID! author: String }
  type Ledger @model @auth(rules: [{ allow: owner, identityClaim: "sub::username" }]) { id: ID! }
`);
const model = (name: string) => app.models.find((candidate) => candidate.name === name)!;
const apiKey: ModelPrincipal = { kind: "apiKey" };
const guest: ModelPrincipal = { kind: "identity", identityId: "r:guest", authenticated: false };
const user: ModelPrincipal = { kind: "identity", identityId: "r:user", authenticated: true, claims: { "cognito:groups": ["staff"] } };
const admin: ModelPrincipal = { kind: "identity", identityId: "r:admin", authenticated: true, claims: { "cognito:groups": ["admins"] } };
const editor: ModelPrincipal = { kind: "identity", identityId: "r:editor", authenticated: true, claims: { "cognito:groups": "editors" } };

describe("model auth rules", () => {
  it("keeps an owner model's items in the caller's own data and refuses API keys", () => {
    expect(accessOf(user, model("Diary"), "create")).toEqual({ scope: "owner", identityId: "r:user", ownerField: "owner" });
    expect(accessOf(apiKey, model("Diary"), "sync")).toBeNull();
  });

  it("admits a static groups rule's members only, for every operation", () => {
    for (const operation of ["create", "update", "delete", "get", "list", "sync", "listen"] as const) {
      expect(accessOf(admin, model("Report"), operation)).toEqual({ scope: "shared" });
      expect(accessOf(user, model("Report"), operation)).toBeNull();
    }
    expect(accessOf(apiKey, model("Report"))).toBeNull();
    expect(accessOf(guest, model("Report"))).toBeNull();
  });

  it("grants read operations only to a read rule, and writes to another rule that grants them", () => {
    const catalog = model("Catalog");
    for (const operation of ["get", "list", "sync", "listen"] as const) expect(accessOf(user, catalog, operation)).toEqual({ scope: "shared" });
    for (const operation of ["create", "update", "delete"] as const) {
      expect(accessOf(user, catalog, operation)).toBeNull();
      expect(accessOf(editor, catalog, operation)).toEqual({ scope: "shared" });
    }
    expect(accessOf(guest, catalog, "sync")).toBeNull();
  });

  it("refuses an API key a create that a public read rule does not grant", () => {
    expect(accessOf(apiKey, model("Board"), "sync")).toEqual({ scope: "shared" });
    expect(accessOf(apiKey, model("Board"), "create")).toBeNull();
  });

  it("admits nobody through dynamic group rules or IAM providers", () => {
    expect(accessOf(admin, model("Shared"), "sync")).toBeNull();
    expect(accessOf(user, model("Feed"), "sync")).toBeNull();
    expect(accessOf(apiKey, model("Feed"), "sync")).toEqual({ scope: "shared" });
  });

  it("answers a subscription as the listen operation", () => {
    expect(subscriptionAccessOf(user, model("Diary"))).toEqual({ scope: "owner", identityId: "r:user", ownerField: "owner" });
    expect(subscriptionAccessOf(user, model("Report"))).toBeNull();
    expect(subscriptionAccessOf(user, model("Catalog"))).toEqual({ scope: "shared" });
  });
});

describe("owners a client names", () => {
  // What the model API holds for a caller whose DataStore sends a user pool's access token.
  const alice: ModelPrincipal = { kind: "identity", identityId: "r:alice", authenticated: true, claims: { sub: "sub-alice", username: "alice", token_use: "access" } };
  const aliceById: ModelPrincipal = { kind: "identity", identityId: "r:alice", authenticated: true, claims: { sub: "sub-alice", "cognito:username": "alice" } };
  const ownerRule = (name: string) => model(name).auth.find((rule) => rule.allow === "owner")!;

  it("takes the caller's identity id or its cognito:username as the caller, from an access token's username as from an ID token's", () => {
    for (const principal of [alice, aliceById]) {
      expect(ownerNamesCaller(principal, ownerRule("Diary"), "alice")).toBe(true);
      expect(ownerNamesCaller(principal, ownerRule("Diary"), "r:alice")).toBe(true);
      expect(ownerNamesCaller(principal, ownerRule("Diary"), "bob")).toBe(false);
      expect(ownerNamesCaller(principal, ownerRule("Diary"), "sub-alice")).toBe(false);
    }
  });

  it("reads the claim the rule's identityClaim names, and a composite claim by its joined value or either part", () => {
    expect(ownerNamesCaller(alice, ownerRule("Essay"), "sub-alice")).toBe(true);
    expect(ownerNamesCaller(alice, ownerRule("Essay"), "alice")).toBe(false);
    for (const value of ["sub-alice::alice", "sub-alice", "alice", "r:alice"]) expect(ownerNamesCaller(alice, ownerRule("Ledger"), value)).toBe(true);
    expect(ownerNamesCaller(alice, ownerRule("Ledger"), "sub-alice::bob")).toBe(false);
  });

  it("names nobody but the identity for a token without the claim, and nobody at all for an API key or a value that is not a string", () => {
    expect(ownerNamesCaller(guest, ownerRule("Diary"), "r:guest")).toBe(true);
    expect(ownerNamesCaller(guest, ownerRule("Diary"), "")).toBe(false);
    expect(ownerNamesCaller(apiKey, ownerRule("Diary"), "alice")).toBe(false);
    expect(ownerNamesCaller(alice, ownerRule("Diary"), ["alice"])).toBe(false);
  });

  it("checks the value under each owner rule's ownerField, and lets absent or null values pass", () => {
    expect(namesOnlyCaller(alice, model("Essay"), { author: "sub-alice" })).toBe(true);
    expect(namesOnlyCaller(alice, model("Essay"), { author: "sub-bob" })).toBe(false);
    // `owner` is not Essay's owner field: it names nobody there.
    expect(namesOnlyCaller(alice, model("Essay"), { owner: "bob" })).toBe(true);
    expect(namesOnlyCaller(alice, model("Diary"), { owner: null, filter: { entry: { eq: "x" } } })).toBe(true);
    expect(namesOnlyCaller(alice, model("Diary"), {})).toBe(true);
  });
});

describe("model auth rules as written", () => {
  it("refuses a schema whose rule names an operation that does not exist", () => {
    expect(() => parseAppModels(`type T @model @auth(rules: [{ allow: public, operations: [reed] }]) { id: ID! }`)).toThrow(/operations: unknown operation reed/);
  });
});
