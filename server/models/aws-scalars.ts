/**
 * AppSync's scalars. `AWSTimestamp` is epoch milliseconds (wider than GraphQL's 32-bit Int);
 * `AWSJSON` is JSON text; the rest travel as strings.
 */
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from "graphql";
import { AWS_SCALARS } from "./model-schema.js";

function stringScalar(name: string, check: (value: string) => boolean = () => true): GraphQLScalarType {
  const parse = (value: unknown) => {
    if (typeof value !== "string" || !check(value)) throw new GraphQLError(`${name} cannot represent ${JSON.stringify(value)}`);
    return value;
  };
  return new GraphQLScalarType({
    name,
    serialize: parse,
    parseValue: parse,
    parseLiteral: (node: ValueNode) => parse(node.kind === Kind.STRING ? node.value : undefined),
  });
}

function isJsonText(value: string): boolean {
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}

const timestamp = (value: unknown) => {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new GraphQLError(`AWSTimestamp cannot represent ${JSON.stringify(value)}`);
  return value;
};

/** Resolvers for every AWS scalar the generated schema declares. */
export const awsScalarResolvers: Record<string, GraphQLScalarType> = Object.fromEntries(
  AWS_SCALARS.map((name) => [
    name,
    name === "AWSTimestamp"
      ? new GraphQLScalarType({ name, serialize: timestamp, parseValue: timestamp, parseLiteral: (node) => timestamp(node.kind === Kind.INT ? Number(node.value) : undefined) })
      : stringScalar(name, name === "AWSJSON" ? isJsonText : undefined),
  ]),
);
