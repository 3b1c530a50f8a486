/**
 * A `datasetChanged` event turned into its subscriber's selection without running graphql-js's
 * `execute`: the selection is planned once per document (which fields, under which response
 * keys, with which leaf serializers) and each event is then a walk over plain objects.
 *
 * Only what `execute` would do by reading properties is planned: fields without resolvers or
 * arguments, leaves serialized by their scalar or enum type, lists, nested objects and
 * `__typename`. A document with anything else (directives, fragments, a field selected twice
 * under one key, a field with a resolver) gets no plan, and an event the plan cannot take as it
 * is (a null where the type forbids it, a value a serializer refuses, a function where data was
 * expected) is left to `execute`, so every error is still graphql-js's own.
 */
import {
  getNamedType,
  getNullableType,
  getOperationAST,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLLeafType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from "graphql";

/** One field of a planned selection: where it goes, where it comes from, and how its value is made. */
interface FieldPlan {
  key: string;
  name: string;
  /** The type's name for `__typename`, else how the property's value is made. */
  value: ValuePlan | { kind: "typename"; typeName: string };
}
type ValuePlan =
  | { kind: "leaf"; nonNull: boolean; type: GraphQLLeafType }
  | { kind: "object"; nonNull: boolean; fields: FieldPlan[] }
  | { kind: "list"; nonNull: boolean; of: ValuePlan };

/** Refused: the value cannot be made here, `execute` must run. */
const REFUSED = Symbol("refused");

/** Turns one event into the subscription's result; undefined when `execute` must run instead. */
export type EventProjection = (event: unknown) => ExecutionResult | undefined;

/**
 * The projection of `document`'s subscription, whose single root field returns the event itself
 * (as `datasetChanged`'s resolver does), or null when the selection asks for more than property reads.
 */
export function planEventProjection(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): EventProjection | null {
  const operation = getOperationAST(document, operationName);
  const subscriptionType = schema.getSubscriptionType();
  if (operation?.operation !== "subscription" || !subscriptionType || operation.directives?.length) return null;
  const [root, ...others] = operation.selectionSet.selections;
  if (!root || others.length > 0 || root.kind !== Kind.FIELD || root.directives?.length || !root.selectionSet) return null;
  const rootField = subscriptionType.getFields()[root.name.value];
  const rootType = rootField && getNullableType(rootField.type);
  if (!rootType || !isObjectType(rootType)) return null;
  const fields = planSelection(rootType, root.selectionSet);
  if (!fields) return null;
  const rootKey = root.alias?.value ?? root.name.value;
  return (event) => {
    if (typeof event !== "object" || event === null) return undefined;
    const value = projectObject(event, fields);
    return value === REFUSED ? undefined : { data: { [rootKey]: value } };
  };
}

function planSelection(type: GraphQLObjectType, selectionSet: SelectionSetNode): FieldPlan[] | null {
  const plans: FieldPlan[] = [];
  const keys = new Set<string>();
  const fieldDefs = type.getFields();
  for (const selection of selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || selection.directives?.length || selection.arguments?.length) return null;
    const key = selection.alias?.value ?? selection.name.value;
    if (keys.has(key)) return null; // graphql-js merges these; rare enough to leave to it
    keys.add(key);
    const name = selection.name.value;
    if (name === "__typename") {
      if (selection.selectionSet) return null;
      plans.push({ key, name, value: { kind: "typename", typeName: type.name } });
      continue;
    }
    const field = fieldDefs[name];
    if (!field || field.resolve || field.args.length > 0) return null;
    const value = planValue(field.type, selection.selectionSet);
    if (!value) return null;
    plans.push({ key, name, value });
  }
  return plans;
}

function planValue(type: GraphQLOutputType, selectionSet: SelectionSetNode | undefined): ValuePlan | null {
  const nonNull = isNonNullType(type);
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const of = planValue(nullable.ofType, selectionSet);
    return of && { kind: "list", nonNull, of };
  }
  const named = getNamedType(nullable);
  if (isLeafType(named)) return selectionSet ? null : { kind: "leaf", nonNull, type: named };
  if (!isObjectType(named) || !selectionSet) return null; // interfaces and unions resolve their type: leave them to execute
  const fields = planSelection(named, selectionSet);
  return fields && { kind: "object", nonNull, fields };
}

function projectObject(source: object, fields: readonly FieldPlan[]): Record<string, unknown> | typeof REFUSED {
  const result: Record<string, unknown> = {};
  for (const field of fields) {
    const value = field.value.kind === "typename" ? field.value.typeName : projectValue((source as Record<string, unknown>)[field.name], field.value);
    if (value === REFUSED) return REFUSED;
    result[field.key] = value;
  }
  return result;
}

function projectValue(value: unknown, plan: ValuePlan): unknown {
  // A function would be called by graphql's default resolver: not a plain read.
  if (typeof value === "function") return REFUSED;
  if (value === null || value === undefined) return plan.nonNull ? REFUSED : null;
  if (plan.kind === "leaf") {
    try {
      const serialized = plan.type.serialize(value);
      return serialized === undefined || serialized === null ? REFUSED : serialized;
    } catch {
      return REFUSED;
    }
  }
  if (plan.kind === "object") return typeof value === "object" ? projectObject(value, plan.fields) : REFUSED;
  if (!Array.isArray(value)) return REFUSED;
  const items = new Array<unknown>(value.length);
  for (let index = 0; index < value.length; index++) {
    const item = projectValue(value[index], plan.of);
    if (item === REFUSED) return REFUSED;
    items[index] = item;
  }
  return items;
}
