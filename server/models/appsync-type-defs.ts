/**
 * The AppSync-style GraphQL API for an app's models, as the Amplify transformer generates it and
 * DataStore sends to (type and field names must match exactly: DataStore's documents declare
 * `Model<M>FilterInput`, `Update<M>Input` and so on as variable types). Per model `M`: `getM`,
 * `listMs`, `syncMs`, `createM`, `updateM`, `deleteM`, `onCreateM`/`onUpdateM`/`onDeleteM`, the
 * metadata fields `_version`, `_lastChangedAt` and `_deleted`.
 */
import { AWS_SCALARS, TIMESTAMP_FIELDS, type AppModels, type FieldDef, type ModelDef } from "./model-schema.js";

/** The filter input type AppSync uses for values of `type` (`ModelStringInput`, `ModelStatusInput`...). */
function filterInputOf(field: FieldDef): string | null {
  if (field.category === "embedded") return null;
  if (field.category === "enum") return `Model${field.type}Input`;
  switch (field.type) {
    case "ID":
      return "ModelIDInput";
    case "Int":
    case "AWSTimestamp":
      return "ModelIntInput";
    case "Float":
      return "ModelFloatInput";
    case "Boolean":
      return "ModelBooleanInput";
    default:
      return "ModelStringInput";
  }
}

const COMPARISONS = (type: string) => `ne: ${type} eq: ${type} le: ${type} lt: ${type} ge: ${type} gt: ${type} between: [${type}]`;
const PRESENCE = "attributeExists: Boolean attributeType: ModelAttributeTypes";

/** Types every AppSync API declares once. */
const COMMON = `
${AWS_SCALARS.map((scalar) => `scalar ${scalar}`).join("\n")}
enum ModelSortDirection { ASC DESC }
enum ModelAttributeTypes { binary binarySet bool list map number numberSet string stringSet _null }
input ModelSizeInput { ${COMPARISONS("Int")} }
input ModelStringInput { ${COMPARISONS("String")} contains: String notContains: String beginsWith: String ${PRESENCE} size: ModelSizeInput }
input ModelIDInput { ${COMPARISONS("ID")} contains: ID notContains: ID beginsWith: ID ${PRESENCE} size: ModelSizeInput }
input ModelIntInput { ${COMPARISONS("Int")} ${PRESENCE} }
input ModelFloatInput { ${COMPARISONS("Float")} ${PRESENCE} }
input ModelBooleanInput { ne: Boolean eq: Boolean ${PRESENCE} }
input ModelSubscriptionStringInput { ${COMPARISONS("String")} contains: String notContains: String beginsWith: String in: [String] notIn: [String] }
input ModelSubscriptionIDInput { ${COMPARISONS("ID")} contains: ID notContains: ID beginsWith: ID in: [ID] notIn: [ID] }
input ModelSubscriptionIntInput { ${COMPARISONS("Int")} in: [Int] notIn: [Int] }
input ModelSubscriptionFloatInput { ${COMPARISONS("Float")} in: [Float] notIn: [Float] }
input ModelSubscriptionBooleanInput { ne: Boolean eq: Boolean }
`;

/** A field's GraphQL type: `[T]`, `T!`... `nonNull` false drops the outer `!` (update inputs, filters). */
function typeText(field: FieldDef, typeName: string, nonNull: boolean): string {
  const base = field.isList ? `[${typeName}]` : typeName;
  return nonNull && field.required ? `${base}!` : base;
}

/** The fields DataStore sends and reads besides `id`: the app's, the timestamps, an implicit owner. */
export function servedFields(model: ModelDef): FieldDef[] {
  const fields = [...model.fields];
  for (const name of TIMESTAMP_FIELDS) {
    if (!fields.some((field) => field.name === name)) fields.push({ name, type: "AWSDateTime", category: "scalar", required: true, isList: false });
  }
  for (const rule of model.auth) {
    if (rule.allow === "owner" && !fields.some((field) => field.name === rule.ownerField)) {
      fields.push({ name: rule.ownerField, type: "String", category: "scalar", required: false, isList: false });
    }
  }
  return fields;
}

/** Fields a client may write: not the server's timestamps. */
function writableFields(model: ModelDef): FieldDef[] {
  return servedFields(model).filter((field) => !(TIMESTAMP_FIELDS as readonly string[]).includes(field.name) || model.fields.includes(field));
}

function modelTypeDefs(model: ModelDef): string {
  const { name: m, pluralName: ms } = model;
  const fields = servedFields(model);
  const writable = writableFields(model);
  const inputType = (field: FieldDef) => (field.category === "embedded" ? `${field.type}Input` : field.type);
  const filterFields = (prefix: string) =>
    fields
      .map((field) => {
        const input = filterInputOf(field);
        return input && `${field.name}: ${prefix === "ModelSubscription" ? input.replace(/^Model/, "ModelSubscription") : input}`;
      })
      .filter((line): line is string => line !== null);
  // As AppSync generates them: one String argument per owner rule, named after its ownerField.
  const ownerArgs = [...new Set(model.auth.filter((rule) => rule.allow === "owner").map((rule) => rule.ownerField))].map((name) => `, ${name}: String`).join("");
  const filterBody = (self: string, prefix: string) => `${filterFields(prefix).join(" ")} and: [${self}] or: [${self}] ${prefix === "Model" ? `not: ${self}` : ""} _deleted: ${prefix}BooleanInput`;
  return `
type ${m} { ${fields.map((field) => `${field.name}: ${typeText(field, field.type, true)}`).join(" ")} _version: Int! _deleted: Boolean _lastChangedAt: AWSTimestamp! }
type Model${m}Connection { items: [${m}]! nextToken: String startedAt: AWSTimestamp }
input Create${m}Input { ${writable.map((field) => `${field.name}: ${field.name === "id" ? "ID" : typeText(field, inputType(field), true)}`).join(" ")} _version: Int }
input Update${m}Input { ${writable.map((field) => `${field.name}: ${field.name === "id" ? "ID!" : typeText(field, inputType(field), false)}`).join(" ")} _version: Int }
input Delete${m}Input { id: ID! _version: Int }
input Model${m}ConditionInput { ${filterFields("Model").filter((line) => !line.startsWith("id:")).join(" ")} and: [Model${m}ConditionInput] or: [Model${m}ConditionInput] not: Model${m}ConditionInput _deleted: ModelBooleanInput }
input Model${m}FilterInput { ${filterBody(`Model${m}FilterInput`, "Model")} }
input ModelSubscription${m}FilterInput { ${filterBody(`ModelSubscription${m}FilterInput`, "ModelSubscription")} }
extend type Query {
  get${m}(id: ID!): ${m}
  list${ms}(filter: Model${m}FilterInput, limit: Int, nextToken: String): Model${m}Connection
  sync${ms}(filter: Model${m}FilterInput, limit: Int, nextToken: String, lastSync: AWSTimestamp): Model${m}Connection
}
extend type Mutation {
  create${m}(input: Create${m}Input!, condition: Model${m}ConditionInput): ${m}
  update${m}(input: Update${m}Input!, condition: Model${m}ConditionInput): ${m}
  delete${m}(input: Delete${m}Input!, condition: Model${m}ConditionInput): ${m}
}
extend type Subscription {
  onCreate${m}(filter: ModelSubscription${m}FilterInput${ownerArgs}): ${m}
  onUpdate${m}(filter: ModelSubscription${m}FilterInput${ownerArgs}): ${m}
  onDelete${m}(filter: ModelSubscription${m}FilterInput${ownerArgs}): ${m}
}`;
}

/** The whole API's SDL for `app`. */
export function appsyncTypeDefs(app: AppModels): string {
  const enums = [...app.enums].map(
    ([name, values]) => `enum ${name} { ${values.join(" ")} }
input Model${name}Input { eq: ${name} ne: ${name} }
input ModelSubscription${name}Input { eq: ${name} ne: ${name} in: [${name}] notIn: [${name}] }`,
  );
  const embedded = [...app.embedded].map(([name, fields]) => {
    const inputOf = (field: FieldDef) => (field.category === "embedded" ? `${field.type}Input` : field.type);
    return `type ${name} { ${fields.map((field) => `${field.name}: ${typeText(field, field.type, true)}`).join(" ")} }
input ${name}Input { ${fields.map((field) => `${field.name}: ${typeText(field, inputOf(field), true)}`).join(" ")} }`;
  });
  return ["type Query", "type Mutation", "type Subscription", COMMON, ...enums, ...embedded, ...app.models.map(modelTypeDefs)].join("\n");
}
