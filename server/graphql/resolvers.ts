/**
 * Resolvers: thin. Each one finds out who is asking (context), hands typed arguments to
 * `server/sync` or `server/identity`, and returns the answer as it is (the shapes match the
 * schema). Caller mistakes (`SyncpoolError`) become GraphQL errors with their code here, so only
 * real surprises reach error masking.
 */
import type { GraphQLFieldResolver } from "graphql";
import { isSyncpoolError } from "../../core/errors.js";
import type { ConflictStrategy } from "../../core/types.js";
import { toGraphQLError } from "../errors.js";
import type { PoolRegistry } from "../identity/pools.js";
import { signIn, type SignInDeps } from "../identity/sign-in.js";
import { applyPush } from "../sync/apply-push.js";
import { configureDataset, deleteDataset, getDataset, getUsage, listDatasets } from "../sync/datasets.js";
import { pullRecords } from "../sync/pull-records.js";
import type { PushRecordsInput, RecordsArgs, SyncDeps } from "../sync/types.js";
import type { GraphQLContext } from "./context.js";
import { parseCreateIdentityPoolInput, parseSignInInput, type CreateIdentityPoolInput } from "./inputs.js";
import { TimestampScalar } from "./timestamp-scalar.js";

/** What resolvers call into. */
export interface ResolverDeps {
  sync: SyncDeps;
  signIn: SignInDeps;
  pools: PoolRegistry;
}

type Resolver<Args> = GraphQLFieldResolver<unknown, GraphQLContext, Args>;

/** Runs a resolver body, turning a `SyncpoolError` into a GraphQL error with its code. */
function resolver<Args>(body: (args: Args, context: GraphQLContext) => Promise<unknown>): Resolver<Args> {
  return async (_parent, args, context) => {
    try {
      return await body(args, context);
    } catch (error) {
      throw isSyncpoolError(error) ? toGraphQLError(error) : error;
    }
  };
}

/** The resolver map for `schema/type-defs.ts`. */
export function createResolvers({ sync, signIn: signInDeps, pools }: ResolverDeps) {
  return {
    Timestamp: TimestampScalar,
    Query: {
      datasets: resolver(async (_args: object, context) => listDatasets(sync, await context.caller())),
      dataset: resolver(async (args: { name: string }, context) => getDataset(sync, await context.caller(), args.name)),
      usage: resolver(async (_args: object, context) => getUsage(sync, await context.caller())),
      records: resolver(async (args: RecordsArgs, context) => pullRecords(sync, await context.caller(), args)),
      identityPools: resolver(async (_args: object, context) => {
        await context.requireAdmin();
        return pools.list();
      }),
    },
    Mutation: {
      signIn: resolver(async (args: { input: unknown }) => signIn(signInDeps, parseSignInInput(args.input))),
      pushRecords: resolver(async (args: { input: PushRecordsInput }, context) => applyPush(sync, await context.caller(), args.input)),
      configureDataset: resolver(async (args: { name: string; conflictStrategy: ConflictStrategy }, context) =>
        configureDataset(sync, await context.caller(), args.name, args.conflictStrategy),
      ),
      deleteDataset: resolver(async (args: { name: string }, context) => deleteDataset(sync, await context.caller(), args.name)),
      createIdentityPool: resolver(async (args: { input: CreateIdentityPoolInput }, context) => {
        await context.requireAdmin();
        return pools.create(parseCreateIdentityPoolInput(args.input));
      }),
    },
  };
}
