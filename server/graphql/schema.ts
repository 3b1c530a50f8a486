/**
 * The executable schema: the contract in `schema/type-defs.ts` bound to the resolvers.
 */
import { createSchema } from "graphql-yoga";
import { typeDefs } from "../../schema/type-defs.js";
import type { GraphQLContext } from "./context.js";
import { createResolvers, type ResolverDeps } from "./resolvers.js";

/** Builds the schema for one server instance. */
export function createSyncpoolSchema(deps: ResolverDeps) {
  return createSchema<GraphQLContext>({ typeDefs, resolvers: createResolvers(deps) });
}
