/**
 * The executable schema: the contract in `schema/type-defs.ts` bound to the resolvers, plus the
 * areas that extend it (push, stream, identity administration), each bringing its own SDL
 * (`extend type Query { ... }`) and resolver map. `server/create-server.ts` decides which areas exist.
 */
import type { GraphQLSchema } from "graphql";
import { createSchema } from "graphql-yoga";
import { typeDefs } from "../../schema/type-defs.js";
import type { GraphQLContext } from "./context.js";
import { createResolvers, type ResolverDeps } from "./resolvers.js";

/** A part of the API that extends the core contract. */
export interface SchemaArea {
  /** SDL that extends the core types (`extend type Query`, new types, `type Subscription`). */
  typeDefs: string;
  /** Resolvers for what `typeDefs` adds, merged with the others by type and field. */
  resolvers: Record<string, unknown>;
}

/**
 * The contract without resolvers, by its SDL: merged, validated and built once per process.
 * Binding resolvers copies it (`addResolversToSchema` maps every type into a new schema), so
 * servers in one process (instances side by side, test servers) share it without touching it.
 */
const contracts = new Map<string, GraphQLSchema>();

function contractOf(sources: readonly string[]): GraphQLSchema {
  const key = sources.join("\n# ---\n");
  let contract = contracts.get(key);
  if (!contract) {
    contract = createSchema({ typeDefs: [...sources] });
    contracts.set(key, contract);
  }
  return contract;
}

/** Builds the schema for one server instance. */
export function createSyncpoolSchema(deps: ResolverDeps, areas: readonly SchemaArea[] = []) {
  return createSchema<GraphQLContext>({
    typeDefs: contractOf([typeDefs, ...areas.map((area) => area.typeDefs)]),
    resolvers: [createResolvers(deps), ...areas.map((area) => area.resolvers)] as never,
  });
}
