/**
 * Resolvers: thin. Each one finds out who is asking and checks the pool's policy for what it is
 * about to do, once (`context.authorize(dataset, ...actions)`: denied is FORBIDDEN and nothing
 * happens), hands typed arguments to `server/sync` or `server/identity`, and returns the answer as
 * it is (the shapes match the schema). Actions: `records`/`dataset` read, `datasets` lists only
 * readable datasets, `pushRecords` write (and delete when it removes a key), `configureDataset`
 * configure, `deleteDataset` delete; `usage` needs only a valid token. With `shared: true` the
 * pool's `sharedDatasets` decide instead (`context.authorizeShared`): read for `records`, write for
 * `pushRecords` and `deleteDataset`. `changes` answers only datasets the caller may read: its own as
 * `datasets` lists them, and shared ones as their entries allow. Caller mistakes (`SyncpoolError`) become GraphQL errors with their code here, so only
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
import { readChanges, type ChangesArgs } from "../sync/read-changes.js";
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
export function resolver<Args>(body: (args: Args, context: GraphQLContext) => Promise<unknown>): Resolver<Args> {
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
      datasets: resolver(async (_args: object, context) => {
        const readable = await context.readableDatasets();
        return (await listDatasets(sync, await context.caller())).filter((dataset) => readable(dataset.name));
      }),
      dataset: resolver(async (args: { name: string }, context) => getDataset(sync, await context.authorize(args.name, "read"), args.name)),
      usage: resolver(async (_args: object, context) => getUsage(sync, await context.caller())),
      records: resolver(async (args: RecordsArgs & { shared?: boolean | null }, context) =>
        pullRecords(sync, args.shared ? await context.authorizeShared(args.dataset, "read") : await context.authorize(args.dataset, "read"), args),
      ),
      changes: resolver(async (args: ChangesArgs, context) => {
        const caller = await context.caller();
        const readable = await context.readableDatasets();
        const shared = await context.sharedListening(null);
        return readChanges(sync, caller, {
          readsOwn: readable,
          sharedOwnerIds: shared.ownerIds,
          readsShared: (ownerId, dataset) => shared.mayRead({ identityId: ownerId, dataset }),
        }, args);
      }),
      identityPools: resolver(async (_args: object, context) => {
        await context.requireAdmin();
        return pools.list();
      }),
    },
    Mutation: {
      signIn: resolver(async (args: { input: unknown }, context) => {
        const input = parseSignInInput(args.input);
        await context.throttleAddress(input.identityPoolId);
        return signIn(signInDeps, input, context.clientAddress());
      }),
      pushRecords: resolver(async (args: { input: PushRecordsInput }, context) => {
        const removes = args.input.patches.some((patch) => patch.op === "REMOVE");
        if (args.input.shared) return applyPush(sync, await context.authorizeShared(args.input.dataset, "write"), args.input);
        const caller = await context.authorize(args.input.dataset, ...(removes ? (["write", "delete"] as const) : (["write"] as const)));
        return applyPush(sync, caller, args.input);
      }),
      configureDataset: resolver(async (args: { name: string; conflictStrategy: ConflictStrategy }, context) =>
        configureDataset(sync, await context.authorize(args.name, "configure"), args.name, args.conflictStrategy),
      ),
      deleteDataset: resolver(async (args: { name: string; shared?: boolean | null }, context) =>
        deleteDataset(sync, args.shared ? await context.authorizeShared(args.name, "write") : await context.authorize(args.name, "delete"), args.name),
      ),
      createIdentityPool: resolver(async (args: { input: CreateIdentityPoolInput }, context) => {
        await context.requireAdmin();
        return pools.create(parseCreateIdentityPoolInput(args.input));
      }),
    },
  };
}
