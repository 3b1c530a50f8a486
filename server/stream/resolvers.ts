/**
 * The stream's schema area: `schema/stream-type-defs.ts` bound to thin resolvers. Every field is
 * admin-only (`context.requireAdmin()`); arguments are checked here, once, and handed to the
 * stream's modules. Caller mistakes (`SyncpoolError`) become GraphQL errors with their code.
 */
import type { GraphQLFieldResolver } from "graphql";
import { isSyncpoolError, SyncpoolError } from "../../core/errors.js";
import { streamTypeDefs } from "../../schema/stream-type-defs.js";
import { toGraphQLError } from "../errors.js";
import type { GraphQLContext } from "../graphql/context.js";
import { JsonScalar } from "../graphql/json-scalar.js";
import type { SchemaArea } from "../graphql/schema.js";
import type { PoolSettings } from "../identity/pool-settings.js";
import type { StreamStore } from "../storage/stream-store.js";
import { bulkPublishDetails, type BulkPublishDeps, type BulkPublishDetails } from "./bulk-publish.js";
import type { ConsumerStatus } from "./consumer-runner.js";
import { dropDeadLetter, listDeadLetters, replayDeadLetter, type DeadLetterDeps } from "./dead-letters.js";
import { decodeIterator, readStreamRecords, resolveIterator, type ShardIteratorInput } from "./read-stream.js";

/** What the resolvers call into (`stream-runtime.ts` provides it). */
export interface StreamAreaDeps {
  storage: StreamStore;
  /** The pool's settings, or null when there is no such pool. */
  pool(poolId: string): Promise<PoolSettings | null>;
  bulk: BulkPublishDeps;
  /** Starts the pool's bulk publish in the background; CONFLICT when one runs. */
  startBulkPublish(poolId: string, shards: number): Promise<BulkPublishDetails>;
  consumers(): ConsumerStatus[];
  deadLetters: DeadLetterDeps;
}

type Resolver<Args> = GraphQLFieldResolver<unknown, GraphQLContext, Args>;

/** An admin resolver: checks the admin token, then runs `body`; SyncpoolErrors keep their codes. */
function admin<Args>(body: (args: Args) => Promise<unknown>): Resolver<Args> {
  return async (_parent, args, context) => {
    try {
      await context.requireAdmin();
      return await body(args);
    } catch (error) {
      throw isSyncpoolError(error) ? toGraphQLError(error) : error;
    }
  };
}

interface StreamRecordsArgs {
  identityPoolId: string;
  shard: number;
  iterator?: ShardIteratorInput | null;
  nextIterator?: string | null;
  limit?: number | null;
}

/** The stream's `SchemaArea`. */
export function createStreamArea(deps: StreamAreaDeps): SchemaArea {
  const existingPool = async (poolId: string): Promise<PoolSettings> => {
    const pool = await deps.pool(poolId);
    if (!pool) throw new SyncpoolError("NOT_FOUND", `identity pool "${poolId}" does not exist`, { field: "identityPoolId" });
    return pool;
  };

  return {
    typeDefs: streamTypeDefs,
    resolvers: {
      JSON: JsonScalar,
      Query: {
        streamShards: admin(async ({ identityPoolId }: { identityPoolId: string }) => {
          const pool = await existingPool(identityPoolId);
          const ranges = new Map((await deps.storage.streamShards(identityPoolId)).map((range) => [range.shard, range]));
          const shards = new Set([...Array.from({ length: pool.stream.shards }, (_, shard) => shard), ...ranges.keys()]);
          return [...shards]
            .sort((a, b) => a - b)
            .map((shard) => {
              const range = ranges.get(shard);
              return {
                shard,
                firstSequenceNumber: range?.firstSequence == null ? null : String(range.firstSequence),
                lastSequenceNumber: range ? String(range.lastSequence) : null,
                lastArrivalTimestamp: range?.lastArrivedAt ?? null,
              };
            });
        }),
        streamRecords: admin(async (args: StreamRecordsArgs) => {
          await existingPool(args.identityPoolId);
          if (!Number.isInteger(args.shard) || args.shard < 0) {
            throw new SyncpoolError("BAD_USER_INPUT", "shard must be a shard number (0 or more)", { field: "shard" });
          }
          if ((args.iterator == null) === (args.nextIterator == null)) {
            throw new SyncpoolError("BAD_USER_INPUT", "pass exactly one of iterator and nextIterator", { field: "iterator" });
          }
          const from = args.iterator
            ? await resolveIterator(deps.storage, args.identityPoolId, args.shard, args.iterator)
            : decodeIterator(args.nextIterator!, args.identityPoolId, args.shard);
          return readStreamRecords(deps.storage, args.identityPoolId, args.shard, from, args.limit ?? 100);
        }),
        bulkPublishDetails: admin(async ({ identityPoolId }: { identityPoolId: string }) => {
          await existingPool(identityPoolId);
          return bulkPublishDetails(deps.bulk, identityPoolId);
        }),
        streamConsumers: admin(async () =>
          deps.consumers().map((consumer) => ({
            ...consumer,
            shards: consumer.shards.map((progress) => ({
              identityPoolId: progress.poolId,
              shard: progress.shard,
              checkpoint: String(progress.checkpoint),
              lastSequenceNumber: String(progress.lastSequence),
              attempts: progress.attempts,
              lastError: progress.lastError,
            })),
          })),
        ),
        deadLetters: admin(async (args: { consumer?: string | null; identityPoolId?: string | null; first?: number | null; after?: string | null }) =>
          listDeadLetters(deps.deadLetters, args),
        ),
      },
      Mutation: {
        bulkPublish: admin(async ({ identityPoolId }: { identityPoolId: string }) => {
          const pool = await existingPool(identityPoolId);
          return deps.startBulkPublish(identityPoolId, pool.stream.shards);
        }),
        replayDeadLetter: admin(async ({ id }: { id: string }) => replayDeadLetter(deps.deadLetters, id)),
        dropDeadLetter: admin(async ({ id }: { id: string }) => dropDeadLetter(deps.deadLetters, id)),
      },
    },
  };
}
