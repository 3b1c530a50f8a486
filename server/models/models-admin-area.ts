/**
 * The admin mutation that issues model API keys: `createApiKey(identityPoolId, expiresInDays)`
 * answers a key an Amplify app configures as `apiKey` (for models with `allow: public`).
 */
import { SyncpoolError } from "../../core/errors.js";
import type { PoolRegistry } from "../identity/pools.js";
import { parseBoundedArgument } from "../graphql/inputs.js";
import { resolver } from "../graphql/resolvers.js";
import type { SchemaArea } from "../graphql/schema.js";
import { issueApiKey } from "./api-keys.js";

const typeDefs = /* GraphQL */ `
  "An API key for an identity pool's model API (/appsync/<identityPoolId>/graphql), sent as x-api-key."
  type ApiKey {
    apiKey: String!
    identityPoolId: ID!
    "Epoch milliseconds after which the key is refused."
    expiresAt: Float!
  }
  extend type Mutation {
    "Admin: issues an API key for the pool's model API, valid for expiresInDays (1-365)."
    createApiKey(identityPoolId: ID!, expiresInDays: Int!): ApiKey!
  }
`;

/** What the area needs: the pools, the session keys that sign API keys, the clock. */
export interface ModelsAdminDeps {
  pools: PoolRegistry;
  sessionSecrets: () => readonly Uint8Array[];
  now: () => number;
}

/** Builds the area. */
export function createModelsAdminArea(deps: ModelsAdminDeps): SchemaArea {
  return {
    typeDefs,
    resolvers: {
      Mutation: {
        createApiKey: resolver(async (args: { identityPoolId: unknown; expiresInDays: number }, context) => {
          await context.requireAdmin();
          const poolId = parseBoundedArgument("identityPoolId", args.identityPoolId, 128);
          const pool = await deps.pools.get(poolId);
          if (!pool) throw new SyncpoolError("NOT_FOUND", `identity pool "${poolId}" not found`, { field: "identityPoolId" });
          if (!pool.models) throw new SyncpoolError("BAD_USER_INPUT", `identity pool "${poolId}" has no models`, { field: "identityPoolId" });
          return issueApiKey(deps.sessionSecrets()[0]!, poolId, args.expiresInDays, deps.now());
        }),
      },
    },
  };
}
