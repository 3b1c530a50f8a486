/**
 * The model API's route: `/appsync/<identityPoolId>/graphql`, where an unmodified Amplify
 * DataStore app points its GraphQL endpoint. Each pool with `models` gets its own yoga instance
 * (built on its first request, rebuilt when its settings change) over the AppSync-style schema
 * generated from the app's models. Items of owner models (`ModelDef.ownerScoped`) live in each
 * owner identity's data, every other model's in the pool's shared data (`_shared:<pool>`); one
 * dataset per model (`model-<Name>`).
 */
import { createSchema, createYoga, type YogaServerInstance } from "graphql-yoga";
import type { PoolRegistry } from "../identity/pools.js";
import type { PoolSettings } from "../identity/pool-settings.js";
import type { Logger } from "../logger.js";
import type { PathHandler } from "../http-routes.js";
import { yogaLogger } from "../errors.js";
import { useBodyLimit } from "../graphql/use-body-limit.js";
import type { SyncDeps } from "../sync/types.js";
import type { TriggerCall } from "../stream/sync-trigger.js";
import type { SyncTriggerSettings } from "../stream/sync-trigger-settings.js";
import { maskAppsyncError, useAppsyncErrorShape } from "./appsync-errors.js";
import { appsyncTypeDefs } from "./appsync-type-defs.js";
import { awsScalarResolvers } from "./aws-scalars.js";
import { createLoginTokenIdentity, type LoginTokenDeps } from "./login-token-identity.js";
import { accessOf, dataOwnerOf, itemsReachedBy, principalOf, type PrincipalDeps } from "./model-auth.js";
import { createLambdaConflictResolver } from "./lambda-conflict.js";
import { createModelItems, modelDataset, type ModelItems } from "./model-items.js";
import { modelResolvers, type ModelContext } from "./model-resolvers.js";
import { parseAppModels } from "./model-schema.js";

/** The path prefix of every pool's model API. */
export const APPSYNC_PATH_PREFIX = "/appsync/";
const PATH = /^\/appsync\/([^/]+)\/graphql$/;

/** Model datasets hold an app's whole table, not a Cognito Sync dataset: wider limits than the pool's. */
export const MODEL_DATASET_LIMITS = { maxRecords: 1_000_000, maxDatasetBytes: 1024 * 1024 * 1024 };

/** What the model API needs from the server. */
export interface AppsyncApiDeps {
  pools: PoolRegistry;
  sync: SyncDeps;
  /** Checks an identity token's signature and expiry (the token service's `verify`). */
  verifyToken: PrincipalDeps["verifyToken"];
  /** Sign-in's dependencies: a login token reaches the identity a sign-in with it would (`login-token-identity.ts`). */
  identity: LoginTokenDeps["identity"];
  /** The built-in user pools' access-token check. */
  verifyUserPoolAccessToken: LoginTokenDeps["verifyUserPoolAccessToken"];
  logger: Logger;
  corsOrigins: readonly string[];
  /** Calls a hook written like a sync trigger: the pool's LAMBDA conflict handler (`StreamRuntime.triggerCall`). */
  triggerCall: (settings: SyncTriggerSettings) => TriggerCall;
}

type PoolYoga = YogaServerInstance<{}, ModelContext>;

/** The route handler for every pool's model API. */
export function createAppsyncApi(deps: AppsyncApiDeps): PathHandler {
  const items = createModelItems(deps.sync);
  const loginIdentityOf = createLoginTokenIdentity(deps);
  const built = new Map<string, { models: PoolSettings["models"]; yoga: PoolYoga }>();

  const yogaFor = (pool: PoolSettings): PoolYoga => {
    const cached = built.get(pool.id);
    if (cached && cached.models === pool.models) return cached.yoga;
    const yoga = buildYoga(pool, deps, items);
    built.set(pool.id, { models: pool.models, yoga });
    return yoga;
  };

  return {
    handles: (path) => path.startsWith(APPSYNC_PATH_PREFIX),
    async fetch(request) {
      const match = PATH.exec(new URL(request.url).pathname);
      const pool = match ? await deps.pools.get(decodeURIComponent(match[1]!)) : null;
      if (!pool?.models) return errorResponse(404, "NotFoundException", "No model API at this path.");
      const yoga = yogaFor(pool);
      // Preflight and GraphiQL-less GETs go to yoga as they are; everything else must prove a principal.
      if (request.method === "OPTIONS") return yoga.fetch(request, {} as ModelContext);
      const principal = await principalOf(request, pool.id, {
        sessionSecrets: deps.sync.sessionSecrets,
        now: deps.sync.now,
        verifyToken: deps.verifyToken,
        loginIdentityOf,
        identities: deps.sync.storage.identities,
      });
      if (principal === null) return errorResponse(401, "UnauthorizedException", "You are not authorized to make this call.");
      return yoga.fetch(request, { principal });
    },
  };
}

function buildYoga(pool: PoolSettings, deps: AppsyncApiDeps, items: ModelItems): PoolYoga {
  const settings = pool.models!;
  const app = parseAppModels(settings.schema);
  const limits = { ...pool.limits, ...MODEL_DATASET_LIMITS };
  // One handler for the pool's LAMBDA models (a module is loaded once, at its first conflict).
  const lambdaCall = settings.lambdaConflictHandler ? deps.triggerCall(settings.lambdaConflictHandler) : null;
  const resolveConflict = lambdaCall ? createLambdaConflictResolver(lambdaCall, items, deps.logger) : null;
  const resolvers = app.models.map((model) => {
    const handler = settings.conflictHandlers[model.name] ?? settings.conflictHandler;
    // LAMBDA detects conflicts by version, as OPTIMISTIC_CONCURRENCY does, then asks its handler.
    const strategy = handler === "AUTOMERGE" ? ("CRDT" as const) : ("OPTIMISTIC" as const);
    return modelResolvers(model, {
      sync: deps.sync,
      items,
      tombstoneTtlDays: settings.tombstoneTtlDays,
      lambda: handler === "LAMBDA" && resolveConflict ? { resolveConflict, region: pool.region } : null,
      targetOf: (principal, operation) => {
        const access = accessOf(principal, model, operation);
        if (access === null) return null;
        // An owner model's items in their owner's own data; every other model's in the pool's,
        // where an owner-scoped caller reaches the items naming it.
        const identityId = dataOwnerOf(model, access, pool.id);
        return { caller: { identityId, poolId: pool.id, limits }, dataset: modelDataset(model.name), strategy, access, reaches: itemsReachedBy(principal, model, access) };
      },
    });
  });
  return createYoga<{}, ModelContext>({
    schema: createSchema<ModelContext>({ typeDefs: appsyncTypeDefs(app), resolvers: [awsScalarResolvers, ...resolvers] as never }),
    graphqlEndpoint: `${APPSYNC_PATH_PREFIX}${pool.id}/graphql`,
    graphiql: false,
    landingPage: false,
    logging: yogaLogger(deps.logger),
    maskedErrors: { maskError: maskAppsyncError },
    maxRequestBodySize: false,
    cors:
      deps.corsOrigins.length === 0
        ? false
        : {
            origin: deps.corsOrigins.includes("*") ? "*" : [...deps.corsOrigins],
            credentials: false,
            allowedHeaders: ["authorization", "content-type", "x-api-key", "x-amz-date", "x-amz-user-agent"],
          },
    plugins: [useBodyLimit(MAX_BODY_BYTES), useAppsyncErrorShape()],
  });
}

/** Bodies larger than this are refused with 413 before parsing (DataStore's mutations are small). */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

function errorResponse(status: number, errorType: string, message: string): Response {
  return new Response(JSON.stringify({ errors: [{ errorType, message }] }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "x-amzn-errortype": errorType },
  });
}
