/**
 * One `start`, read: the GraphQL subscription it asks for, checked against the pool's generated
 * schema and the model's `@auth` rules, and how each matching item is answered. The schema is
 * the one the HTTP API serves (same type definitions and AWS scalars), so a subscription that
 * validates there validates here, and an item is rendered through GraphQL's own execution: the
 * client's selection set, aliases and scalar serialization apply to every event.
 *
 * Which items reach it: those of the model's dataset (the identity's own for an owner model,
 * the pool's shared data otherwise: `dataOwnerOf`) that the principal reaches (`itemsReachedBy`),
 * of the subscribed operation, matching `filter`. A subscription only an owner rule admits,
 * without an owner argument (named after the rule's `ownerField`), is therefore filtered by the
 * connection's identity; one naming the caller (its identity id, or its token's `identityClaim`:
 * DataStore sends the ID token's `cognito:username`) is the same; one naming anybody else is
 * refused. A caller another rule admits (public, private, groups) sees every owner's items, or
 * those of the owner its argument names.
 */
import {
  execute,
  getArgumentValues,
  getVariableValues,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type FieldNode,
  type GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { dataOwnerOf, itemsReachedBy, namesOnlyCaller, ownerNamesCaller, subscriptionAccessOf, type ModelPrincipal } from "./model-auth.js";
import { matchesFilter, type ModelFilter } from "./model-filter.js";
import type { ModelItem } from "./model-items.js";
import type { ModelDef } from "./model-schema.js";
import { REALTIME_ERRORS, type RealtimeError, type SubscriptionRequest } from "./realtime-protocol.js";

/** What a model event is, as AppSync's subscriptions name it. */
export type ModelOperation = "Create" | "Update" | "Delete";

/** A pool's models as the realtime channel serves them. */
export interface RealtimeModels {
  poolId: string;
  schema: GraphQLSchema;
  /** `on<Op><Model>` field name to its model and operation. */
  fields: ReadonlyMap<string, { model: ModelDef; operation: ModelOperation }>;
}

/** A subscription that may start. */
export interface PreparedSubscription {
  model: ModelDef;
  operation: ModelOperation;
  /** The owner id whose committed changes carry its items (an identity, or the pool's shared data). */
  dataOwnerId: string;
  /** True when `item` (of this subscription's model and operation) goes to the subscriber. */
  accepts(item: ModelItem): boolean;
  /** The `data` payload for `item`: the client's selection of it. */
  render(item: ModelItem): Promise<{ data: unknown; errors?: RealtimeError[] }>;
}

/** The `on<Op><Model>` fields of `models`, keyed by field name. */
export function subscriptionFieldsOf(models: readonly ModelDef[]): Map<string, { model: ModelDef; operation: ModelOperation }> {
  const fields = new Map<string, { model: ModelDef; operation: ModelOperation }>();
  for (const model of models) {
    for (const operation of ["Create", "Update", "Delete"] as const) fields.set(`on${operation}${model.name}`, { model, operation });
  }
  return fields;
}

/** Reads `request` for `principal`: a subscription to start, or the errors to answer instead. */
export function prepareSubscription(models: RealtimeModels, request: SubscriptionRequest, principal: ModelPrincipal): PreparedSubscription | { errors: RealtimeError[] } {
  let document: DocumentNode;
  try {
    document = parse(request.query, { maxTokens: 2000 });
  } catch (error) {
    return { errors: [validationError(error as GraphQLError)] };
  }
  const invalid = validate(models.schema, document);
  if (invalid.length > 0) return { errors: invalid.map(validationError) };
  const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const operation = request.operationName === null ? operations[0] : operations.find((candidate) => candidate.name?.value === request.operationName);
  if (!operation || (request.operationName === null && operations.length > 1)) {
    return { errors: [{ errorType: REALTIME_ERRORS.BAD_REQUEST, message: "name the operation to run (operationName) or send one" }] };
  }
  const root = operation.selectionSet.selections[0];
  const served = operation.operation === "subscription" && root?.kind === Kind.FIELD ? models.fields.get(root.name.value) : undefined;
  if (!served) return { errors: [{ errorType: REALTIME_ERRORS.UNSUPPORTED, message: "only the models' on<Create|Update|Delete><Model> subscriptions are served through the realtime channel" }] };
  const field = root as FieldNode;

  const variables = getVariableValues(models.schema, operation.variableDefinitions ?? [], request.variables);
  if (variables.errors) return { errors: variables.errors.map(validationError) };
  let args: { filter?: ModelFilter | null; [ownerField: string]: unknown };
  try {
    args = getArgumentValues(models.schema.getSubscriptionType()!.getFields()[field.name.value]!, field, variables.coerced);
  } catch (error) {
    return { errors: [validationError(error as GraphQLError)] };
  }

  const { model } = served;
  const access = subscriptionAccessOf(principal, model);
  const refused = { errors: [{ errorType: REALTIME_ERRORS.UNAUTHORIZED, message: `Not Authorized to access ${field.name.value} on type Subscription` }] };
  if (access === null) return refused;
  // The items are the principal's own whatever it names; naming another owner is asking for theirs.
  if (access.scope === "owner" && !namesOnlyCaller(principal, model, args)) return refused;
  const reaches = itemsReachedBy(principal, model, access) ?? ownersNamed(principal, model, args);

  const responseKey = field.alias?.value ?? field.name.value;
  return {
    model,
    operation: served.operation,
    dataOwnerId: dataOwnerOf(model, access, models.poolId),
    accepts: (item) => (reaches === null || reaches(item)) && matchesFilter(item, args.filter),
    async render(item) {
      const result = await execute({ schema: models.schema, document, operationName: request.operationName, variableValues: request.variables, rootValue: { [field.name.value]: item } });
      return {
        data: result.data ?? { [responseKey]: null },
        ...(result.errors ? { errors: result.errors.map((error) => ({ errorType: "BadRequest", message: error.message, ...(error.path ? { path: error.path } : {}) })) } : {}),
      };
    },
  };
}

/**
 * For a caller that reaches every item of a model with owner rules, the owner arguments it gave
 * (absent and null name nobody) as a filter: the items of the owner they name (an argument naming
 * the caller also matches its items stored under its identity id). Null when it gave none.
 */
function ownersNamed(principal: ModelPrincipal, model: ModelDef, args: Readonly<Record<string, unknown>>): ((item: ModelItem) => boolean) | null {
  const named = model.auth.filter((rule) => rule.allow === "owner" && args[rule.ownerField] !== undefined && args[rule.ownerField] !== null);
  if (named.length === 0) return null;
  return (item) => named.every((rule) => item[rule.ownerField] === args[rule.ownerField] || (ownerNamesCaller(principal, rule, args[rule.ownerField]) && ownerNamesCaller(principal, rule, item[rule.ownerField])));
}

/** GraphQL's own refusal (syntax, validation, variables), as the HTTP API shapes it. */
function validationError(error: GraphQLError): RealtimeError {
  return { errorType: "ValidationError", message: error.message, ...(error.locations ? { locations: error.locations } : {}) };
}
