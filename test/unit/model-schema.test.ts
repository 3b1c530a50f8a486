/**
 * Reading an app's Amplify schema into models, and the AppSync-style SDL generated from them:
 * the names DataStore's documents use, the metadata fields, and refusals for what is not served.
 */
import { buildSchema } from "graphql";
import { describe, expect, it } from "vitest";
import { appsyncTypeDefs } from "../../server/models/appsync-type-defs.js";
import { parseAppModels, pluralOf } from "../../server/models/model-schema.js";
import { modelsSettingsSchema } from "../../server/models/models-settings.js";

const SDL = `
  enum Status { OPEN DONE }
  type Address { city: String! }
  type Todo @model @auth(rules: [{ allow: public }, { allow: owner, ownerField: "author", operations: [read] }]) {
    id: ID!
    title: String!
    status: Status
    address: Address
    labels: [String!]
  }
  type Category @model { id: ID! name: String }
`;

describe("the app's models", () => {
  it("reads @model types with their fields, plural names and @auth rules as written", () => {
    const app = parseAppModels(SDL);
    expect(app.models.map((model) => [model.name, model.pluralName])).toEqual([["Todo", "Todos"], ["Category", "Categories"]]);
    const todo = app.models[0]!;
    expect(todo.fields.map((field) => `${field.name}:${field.category}${field.isList ? "[]" : ""}${field.required ? "!" : ""}`)).toEqual([
      "id:scalar!", "title:scalar!", "status:enum", "address:embedded", "labels:scalar[]",
    ]);
    expect(todo.auth[1]).toMatchObject({ allow: "owner", ownerField: "author", identityClaim: "cognito:username", operations: ["read"] });
    // An owner rule beside a public one: the items are kept in the pool's shared data, each naming its owner.
    expect(todo.ownerScoped).toBe(false);
    expect(parseAppModels(`type Diary @model @auth(rules: [{ allow: owner }]) { id: ID! }`).models[0]!.ownerScoped).toBe(true);
    // Rules that admit nobody here (IAM, dynamic groups) leave an owner model's items per owner.
    const iam = `type Diary @model @auth(rules: [{ allow: owner }, { allow: private, provider: iam }, { allow: groups, groupsField: "editors" }]) { id: ID! editors: [String] }`;
    expect(parseAppModels(iam).models[0]!.ownerScoped).toBe(true);
    expect(app.models[1]!.auth).toEqual([expect.objectContaining({ allow: "public", provider: "apiKey" })]);
  });

  it("generates a valid schema with every operation, input and metadata field DataStore names", () => {
    const schema = buildSchema(appsyncTypeDefs(parseAppModels(SDL)));
    const query = schema.getQueryType()!.getFields();
    const mutation = schema.getMutationType()!.getFields();
    const subscription = schema.getSubscriptionType()!.getFields();
    expect(Object.keys(query)).toEqual(expect.arrayContaining(["getTodo", "listTodos", "syncTodos", "syncCategories"]));
    expect(Object.keys(mutation)).toEqual(expect.arrayContaining(["createTodo", "updateTodo", "deleteTodo"]));
    expect(Object.keys(subscription)).toEqual(expect.arrayContaining(["onCreateTodo", "onUpdateTodo", "onDeleteTodo"]));
    expect(query["syncTodos"]!.args.map((arg) => `${arg.name}:${String(arg.type)}`)).toEqual([
      "filter:ModelTodoFilterInput", "limit:Int", "nextToken:String", "lastSync:AWSTimestamp",
    ]);
    expect(mutation["updateTodo"]!.args.map((arg) => `${arg.name}:${String(arg.type)}`)).toEqual(["input:UpdateTodoInput!", "condition:ModelTodoConditionInput"]);
    const todo = schema.getType("Todo") as import("graphql").GraphQLObjectType;
    expect(Object.keys(todo.getFields())).toEqual(["id", "title", "status", "address", "labels", "createdAt", "updatedAt", "author", "_version", "_deleted", "_lastChangedAt"]);
    expect(String(schema.getType("ModelTodoConnection") && (schema.getType("ModelTodoConnection") as import("graphql").GraphQLObjectType).getFields()["startedAt"]!.type)).toBe("AWSTimestamp");
    for (const name of ["CreateTodoInput", "DeleteTodoInput", "ModelTodoFilterInput", "ModelSubscriptionTodoFilterInput", "ModelStatusInput", "AddressInput"]) {
      expect(schema.getType(name), name).toBeDefined();
    }
  });

  it("refuses a model without id: ID!, a relation, or an unknown type, naming it", () => {
    expect(() => parseAppModels("type A @model { name: String }")).toThrow("A: a model needs the field id: ID!");
    expect(() => parseAppModels("type A @model { id: ID! b: B } type B @model { id: ID! }")).toThrow("A.b: relations between models are not served yet");
    expect(() => parseAppModels("type A @model { id: ID! when: Moment }")).toThrow("A.when: unknown type Moment");
  });

  it("refuses models settings naming a handler for a model the schema lacks", () => {
    const parsed = modelsSettingsSchema.safeParse({ schema: SDL, conflictHandlers: { Nope: "AUTOMERGE" } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('no @model type named "Nope"');
  });

  it("pluralizes as Amplify's codegen does for the common endings", () => {
    expect(["Todo", "Category", "Box", "Day", "Match"].map(pluralOf)).toEqual(["Todos", "Categories", "Boxes", "Days", "Matches"]);
  });
});
