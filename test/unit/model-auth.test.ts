/**
 * The model API's rule checks (`server/models/model-auth.ts`): which principal each `@auth` rule
 * admits, for which operation, and where its items live.
 */
import { describe, expect, it } from "vitest";
import { accessOf, subscriptionAccessOf, type ModelPrincipal } from "../../server/models/model-auth.js";
import { parseAppModels } from "../../server/models/model-schema.js";

const app = parseAppModels(`
  type Diary @model @auth(rules: [{ allow: owner }]) { id: ID! entry: String! }
  type Report @model @auth(rules: [{ allow: groups, groups: ["admins"] }]) { id: ID! text: String }
  type Catalog @model @auth(rules: [{ allow: private, operations: [read] }, { allow: groups, groups: ["editors"] }]) { id: ID! name: String }
  type Board @model @auth(rules: [{ allow: public, operations: [read] }]) { id: ID! title: String }
  type Shared @model @auth(rules: [{ allow: groups, groupsField: "teams" }]) { id: ID! teams: [String] }
  type Feed @model @auth(rules: [{ allow: private, provider: iam }, { allow: public }]) { id: ID! }
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

describe("model auth rules as written", () => {
  it("refuses a schema whose rule names an operation that does not exist", () => {
    expect(() => parseAppModels(`type T @model @auth(rules: [{ allow: public, operations: [reed] }]) { id: ID! }`)).toThrow(/operations: unknown operation reed/);
  });
});
