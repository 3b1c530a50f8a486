/**
 * The app's models, read from its Amplify GraphQL schema (the `schema.graphql` an Amplify app
 * keeps): every `@model` type with its fields, the enums and embedded (non-model) types they use,
 * and the `@auth` rules as written. Everything after this (the AppSync-style API, storage, auth)
 * reads these definitions, never the SDL again.
 */
import { Kind, parse, type ConstDirectiveNode, type ConstValueNode, type TypeNode } from "graphql";
import { SyncpoolError } from "../../core/errors.js";

/** The AWS scalars AppSync adds to GraphQL's own. */
export const AWS_SCALARS = ["AWSDateTime", "AWSDate", "AWSTime", "AWSTimestamp", "AWSEmail", "AWSJSON", "AWSURL", "AWSPhone", "AWSIPAddress"] as const;
const BUILT_IN_SCALARS = new Set(["ID", "String", "Int", "Float", "Boolean", ...AWS_SCALARS]);

/** One field of a model or embedded type. `type` is a scalar, enum or embedded type name. */
export interface FieldDef {
  name: string;
  type: string;
  category: "scalar" | "enum" | "embedded";
  required: boolean;
  isList: boolean;
}

/** One `@auth` rule as written (`allow`, `provider`, `ownerField`, `identityClaim`, `groups`, `groupClaim`, `groupsField`, `operations`). */
export interface AuthRule {
  allow: "public" | "private" | "owner" | "groups" | "custom";
  provider: string | null;
  ownerField: string;
  identityClaim: string;
  /** Static groups (`groups: ["admins"]`) of a groups rule. */
  groups: string[];
  /** The token claim listing the caller's groups (`cognito:groups` unless the rule names another). */
  groupClaim: string;
  /** The item field naming the groups that may reach it (a dynamic groups rule), or null. */
  groupsField: string | null;
  /** The operations the rule grants (`create`, `update`, `delete`, `read` or its parts); empty grants all. */
  operations: string[];
}

/** A `@model` type: its plural (drives `sync<Plural>`), fields in schema order and auth rules. */
export interface ModelDef {
  name: string;
  pluralName: string;
  fields: FieldDef[];
  auth: AuthRule[];
  /**
   * True when the model has an owner rule and no rule that reaches other owners' items here
   * (`readsAcrossOwners`): the items live in their owners' own data. A model with an owner rule
   * beside a public, private or static groups rule keeps them in the pool's shared data, each
   * naming its owner.
   */
  ownerScoped: boolean;
}

/** Everything the app's schema declares that the API serves. */
export interface AppModels {
  models: ModelDef[];
  enums: Map<string, string[]>;
  embedded: Map<string, FieldDef[]>;
}

/** Fields AppSync adds to every model; an app's schema may also declare them. */
export const TIMESTAMP_FIELDS = ["createdAt", "updatedAt"] as const;

/**
 * Reads the models of an Amplify GraphQL schema.
 * @throws SyncpoolError BAD_USER_INPUT naming the type or field that cannot be served: a syntax
 *   error, a field of an unknown type, a model without `id: ID!`, relations (not served yet).
 */
export function parseAppModels(sdl: string): AppModels {
  let document;
  try {
    document = parse(sdl);
  } catch (error) {
    throw schemaError(`not a GraphQL schema: ${(error as Error).message}`);
  }
  const enums = new Map<string, string[]>();
  const objects = document.definitions.filter((definition) => definition.kind === Kind.OBJECT_TYPE_DEFINITION);
  for (const definition of document.definitions) {
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION) enums.set(definition.name.value, (definition.values ?? []).map((value) => value.name.value));
  }
  const isModel = (directives: readonly ConstDirectiveNode[] | undefined) => (directives ?? []).some((directive) => directive.name.value === "model");
  const embeddedNames = new Set(objects.filter((object) => !isModel(object.directives)).map((object) => object.name.value));
  const modelNames = new Set(objects.filter((object) => isModel(object.directives)).map((object) => object.name.value));

  const fieldOf = (owner: string, name: string, typeNode: TypeNode): FieldDef => {
    const { type, required, isList } = unwrap(typeNode);
    if (modelNames.has(type)) throw schemaError(`${owner}.${name}: relations between models are not served yet`);
    const category = BUILT_IN_SCALARS.has(type) ? "scalar" : enums.has(type) ? "enum" : embeddedNames.has(type) ? "embedded" : null;
    if (category === null) throw schemaError(`${owner}.${name}: unknown type ${type}`);
    return { name, type, category, required, isList };
  };

  const embedded = new Map<string, FieldDef[]>();
  for (const object of objects) {
    if (isModel(object.directives) || ["Query", "Mutation", "Subscription"].includes(object.name.value)) continue;
    embedded.set(object.name.value, (object.fields ?? []).map((field) => fieldOf(object.name.value, field.name.value, field.type)));
  }
  const models = objects.filter((object) => isModel(object.directives)).map((object): ModelDef => {
    const name = object.name.value;
    const fields = (object.fields ?? [])
      .filter((field) => !(field.directives ?? []).some((directive) => ["hasMany", "hasOne", "belongsTo", "manyToMany"].includes(directive.name.value)))
      .map((field) => fieldOf(name, field.name.value, field.type));
    const id = fields.find((field) => field.name === "id");
    if (!id || id.type !== "ID" || !id.required || id.isList) throw schemaError(`${name}: a model needs the field id: ID!`);
    const auth = authRules(name, object.directives ?? []);
    return { name, pluralName: pluralOf(name), fields, auth, ownerScoped: auth.some((rule) => rule.allow === "owner") && !auth.some(readsAcrossOwners) };
  });
  if (models.length === 0) throw schemaError("the schema declares no @model type");
  return { models, enums, embedded };
}

/**
 * Whether a rule other than an owner rule admits callers here, and so reaches every owner's items:
 * public over API keys, private and static groups over tokens. `iam` and `function` providers,
 * `custom` and dynamic groups admit nobody yet, so beside an owner rule they leave its items per owner.
 */
function readsAcrossOwners(rule: AuthRule): boolean {
  if (rule.allow === "public") return rule.provider === null || rule.provider === "apiKey";
  const tokenProvider = rule.provider === null || rule.provider === "userPools" || rule.provider === "oidc";
  return tokenProvider && (rule.allow === "private" || (rule.allow === "groups" && rule.groupsField === null));
}

/** The operations a rule may name (`read` stands for get, list, sync, listen and search). */
const RULE_OPERATIONS = new Set(["create", "update", "delete", "read", "get", "list", "sync", "listen", "search"]);

/** `@auth(rules: [...])` as rules; no `@auth` reads as AppSync's default for an API-key API: public. */
function authRules(model: string, directives: readonly ConstDirectiveNode[]): AuthRule[] {
  const auth = directives.find((directive) => directive.name.value === "auth");
  if (!auth) return [{ allow: "public", provider: "apiKey", ownerField: "owner", identityClaim: "cognito:username", groups: [], groupClaim: "cognito:groups", groupsField: null, operations: [] }];
  const rulesArgument = auth.arguments?.find((argument) => argument.name.value === "rules")?.value;
  if (rulesArgument?.kind !== Kind.LIST) throw schemaError(`${model}: @auth takes rules: [...]`);
  return rulesArgument.values.map((node, index) => {
    const rule = valueOf(node) as Record<string, unknown> | null;
    const allow = rule?.allow;
    if (typeof allow !== "string" || !["public", "private", "owner", "groups", "custom"].includes(allow)) {
      throw schemaError(`${model}: @auth rules[${index}].allow must be public, private, owner, groups or custom`);
    }
    const strings = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : []);
    const unknownOperation = strings(rule!.operations).find((operation) => !RULE_OPERATIONS.has(operation));
    if (unknownOperation !== undefined) throw schemaError(`${model}: @auth rules[${index}].operations: unknown operation ${unknownOperation}`);
    return {
      allow: allow as AuthRule["allow"],
      provider: typeof rule!.provider === "string" ? rule!.provider : null,
      ownerField: typeof rule!.ownerField === "string" ? rule!.ownerField : "owner",
      identityClaim: typeof rule!.identityClaim === "string" ? rule!.identityClaim : "cognito:username",
      groups: strings(rule!.groups),
      groupClaim: typeof rule!.groupClaim === "string" ? rule!.groupClaim : "cognito:groups",
      groupsField: typeof rule!.groupsField === "string" ? rule!.groupsField : null,
      operations: strings(rule!.operations),
    };
  });
}

/** A literal argument value as plain data (enum values read as their names). */
function valueOf(node: ConstValueNode): unknown {
  switch (node.kind) {
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((field) => [field.name.value, valueOf(field.value)]));
    case Kind.LIST:
      return node.values.map(valueOf);
    case Kind.NULL:
      return null;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    default:
      return node.value;
  }
}

function unwrap(node: TypeNode): { type: string; required: boolean; isList: boolean } {
  const required = node.kind === Kind.NON_NULL_TYPE;
  const inner = node.kind === Kind.NON_NULL_TYPE ? node.type : node;
  if (inner.kind === Kind.LIST_TYPE) {
    const element = inner.type.kind === Kind.NON_NULL_TYPE ? inner.type.type : inner.type;
    if (element.kind !== Kind.NAMED_TYPE) throw schemaError("lists of lists are not served");
    return { type: element.name.value, required, isList: true };
  }
  return { type: inner.kind === Kind.NAMED_TYPE ? inner.name.value : "", required, isList: false };
}

/**
 * The plural Amplify's codegen gives a model name (it uses the `pluralize` rules): the common
 * English endings. An app whose generated `pluralName` differs would call other field names.
 */
export function pluralOf(name: string): string {
  if (/[^aeiou]y$/i.test(name)) return `${name.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(name)) return `${name}es`;
  return `${name}s`;
}

function schemaError(message: string): SyncpoolError {
  return new SyncpoolError("BAD_USER_INPUT", `models schema: ${message}`, { field: "models.schema" });
}
