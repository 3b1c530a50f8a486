/**
 * Resolvers of the push area (`schema/push-type-defs.ts`): thin, like the core ones. Each finds
 * out who is asking (and, for a dataset, whether the pool's policies let the caller read it),
 * hands typed arguments to `dataset-changes.ts` or `devices.ts`, and turns a `SyncpoolError` into
 * a GraphQL error with its code.
 *
 * `datasetChanged` runs over two transports. Over graphql-ws the connection is already
 * authenticated and counted (`ws-endpoint.ts` puts a `pushConnection` in the context); over SSE
 * each subscription is its own HTTP response, so it is counted here and its token's expiry is
 * read from its `Authorization` header.
 */
import { decodeJwt } from "jose";
import { SyncpoolError, isSyncpoolError } from "../../core/errors.js";
import { assertDatasetName } from "../../core/limits.js";
import { pushTypeDefs } from "../../schema/push-type-defs.js";
import { toGraphQLError } from "../errors.js";
import type { GraphQLContext } from "../graphql/context.js";
import type { SchemaArea } from "../graphql/schema.js";
import type { ConnectionLimits } from "./connection-limits.js";
import { openDatasetChanges, type DatasetChangesDeps, type DropReason } from "./dataset-changes.js";
import type { DatasetChangeEvent } from "./dataset-event.js";
import {
  listRegisteredDevices,
  registerDevice,
  subscribeToDataset,
  unregisterDevice,
  unsubscribeFromDataset,
  type DeviceDeps,
  type RegisterDeviceInput,
} from "./devices.js";

/** What a graphql-ws connection adds to the context of each of its operations. */
export interface LiveConnection {
  /** When the connection's token expires, epoch ms. */
  expiresAtMs: number;
  /** Closes the whole connection with the close code for `reason`. */
  drop(reason: DropReason): void;
}

/** The context push resolvers see: yoga's (with its `request`) plus, over graphql-ws, the connection. */
export type PushContext = GraphQLContext & { request?: Request; pushConnection?: LiveConnection };

/** What the push resolvers call into, built once per server by `push-service.ts`. */
export interface PushResolverDeps {
  changes: DatasetChangesDeps;
  devices: DeviceDeps;
  connections: ConnectionLimits;
  /** Bytes that may wait for one subscriber (`PushConfig.maxBufferedBytes`). */
  maxPendingBytes: number;
  vapidPublicKey: string;
}

/** Runs a resolver body, turning a `SyncpoolError` into a GraphQL error with its code. */
function guarded<Args, Result>(body: (args: Args, context: PushContext) => Promise<Result>) {
  return async (_parent: unknown, args: Args, context: PushContext): Promise<Result> => {
    try {
      return await body(args, context);
    } catch (error) {
      throw isSyncpoolError(error) ? toGraphQLError(error) : error;
    }
  };
}

/** The push area: its SDL and resolvers, for `createSyncpoolSchema`. */
export function createPushArea(deps: PushResolverDeps): SchemaArea {
  const { devices } = deps;
  return {
    typeDefs: pushTypeDefs,
    resolvers: {
      Subscription: {
        datasetChanged: {
          subscribe: guarded(async (args: { dataset?: string | null; sinceSyncCount?: number | null; shared?: boolean | null }, context) => {
            // The pool's policies decide as for pulls: one dataset needs "read" on it; all datasets
            // hear only those the caller's role may read. Shared datasets: the pool's
            // sharedDatasets decide, at subscribe time for one dataset and again for every change.
            const dataset = args.dataset ?? null;
            if (dataset !== null) assertDatasetName(dataset, "dataset");
            const sharedOne = args.shared === true && dataset !== null;
            const caller = sharedOne
              ? await context.authorizeShared(dataset, "read")
              : dataset !== null && args.shared !== true
                ? await context.authorize(dataset, "read")
                : await context.caller();
            const shared = args.shared === true ? await context.sharedListening(dataset) : undefined;
            const canRead = dataset !== null || shared ? undefined : await context.readableDatasets();
            const live = context.pushConnection;
            // Over SSE this subscription is a connection of its own.
            // Counted against the asking identity, also for shared datasets (whose caller is their owner).
            const release = live ? undefined : deps.connections.acquire(caller.writer ?? caller.identityId, "sse");
            if (release === null) {
              throw new SyncpoolError("LIMIT_EXCEEDED", `too many live connections for this identity (limit ${deps.connections.maxPerIdentity})`, {
                limit: "maxConnectionsPerIdentity",
                max: deps.connections.maxPerIdentity,
              });
            }
            try {
              return await openDatasetChanges(deps.changes, {
                caller,
                dataset,
                canRead,
                sinceSyncCount: args.sinceSyncCount ?? null,
                expiresAtMs: live?.expiresAtMs ?? bearerExpiryMs(context.request),
                maxPendingBytes: deps.maxPendingBytes,
                connection: live,
                onEnd: release,
                shared,
              });
            } catch (error) {
              release?.();
              throw error;
            }
          }),
          resolve: (event: DatasetChangeEvent) => event,
        },
      },
      Query: {
        webPushPublicKey: () => deps.vapidPublicKey,
        registeredDevices: guarded(async (_args: object, context) => listRegisteredDevices(devices, await context.caller())),
      },
      Mutation: {
        registerDevice: guarded(async (args: { input: RegisterDeviceInput }, context) => registerDevice(devices, await context.caller(), args.input)),
        // A notification tells that a dataset changed: subscribing needs "read" on it.
        subscribeToDataset: guarded(async (args: { dataset: string; deviceId: string }, context) => {
          assertDatasetName(args.dataset, "dataset");
          return subscribeToDataset(devices, await context.authorize(args.dataset, "read"), args.dataset, args.deviceId);
        }),
        unsubscribeFromDataset: guarded(async (args: { dataset: string; deviceId: string }, context) =>
          unsubscribeFromDataset(devices, await context.caller(), args.dataset, args.deviceId),
        ),
        unregisterDevice: guarded(async (args: { deviceId: string }, context) => unregisterDevice(devices, await context.caller(), args.deviceId)),
      },
    },
  };
}

/**
 * The `exp` of the bearer token on `request`, epoch ms. Only called after `caller()` verified that
 * token, so decoding without verifying again is safe.
 */
function bearerExpiryMs(request: Request | undefined): number {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(request?.headers.get("authorization") ?? "")?.[1];
  const exp = token ? decodeJwt(token).exp : undefined;
  if (exp === undefined) throw new SyncpoolError("UNAUTHENTICATED", "sign in first: send 'Authorization: Bearer <token>' from signIn");
  return exp * 1000;
}
