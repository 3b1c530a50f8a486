/**
 * The `JSON` scalar: any JSON value, passed through as it is. Used where the API returns a
 * document whose shape is specified elsewhere (a stream event's `data`, docs/events.md) rather
 * than by the schema, so consumers get the event exactly as webhooks and NATS carry it.
 */
import { GraphQLScalarType, Kind, type ValueNode } from "graphql";

function fromLiteral(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(fromLiteral);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((field) => [field.name.value, fromLiteral(field.value)]));
    default:
      throw new TypeError("JSON literals cannot contain variables");
  }
}

/** The resolver map entry for `scalar JSON`. */
export const JsonScalar = new GraphQLScalarType<unknown, unknown>({
  name: "JSON",
  description: "Any JSON value.",
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: fromLiteral,
});
