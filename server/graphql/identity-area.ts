/**
 * The identity schema area (`schema/identity-type-defs.ts`): developer-authenticated identities,
 * `linkLogin` / `unlinkLogin`, and the admin API's `identities` and `disableIdentity`. Resolvers
 * stay thin: arguments are bounded here (`inputs.ts`), who may call is checked once (the developer
 * key, the caller's token, the admin token), and the work is `server/identity`'s.
 */
import { identityTypeDefs } from "../../schema/identity-type-defs.js";
import { disableIdentity, listIdentities } from "../identity/admin-identities.js";
import { getTokenForDeveloperIdentity } from "../identity/developer-identities.js";
import type { IdentityDeps } from "../identity/identity-deps.js";
import { linkLogin, unlinkLogin } from "../identity/link-logins.js";
import type { IdentitySummary } from "../storage/identity-store.js";
import { parseBoundedArgument, parseDeveloperIdentityInput, parseLoginInput, parseProofInput } from "./inputs.js";
import { resolver } from "./resolvers.js";
import type { SchemaArea } from "./schema.js";

/** The `Identity` GraphQL type's shape. */
export function toIdentity(summary: IdentitySummary) {
  return {
    identityId: summary.id,
    identityPoolId: summary.poolId,
    hasDeviceSecret: summary.hasSecret,
    createdAt: summary.createdAt,
    disabledAt: summary.disabledAt,
    mergedInto: summary.mergedInto,
    logins: summary.logins,
  };
}

/** Builds the area over the identity operations' dependencies. */
export function createIdentityArea(deps: IdentityDeps): SchemaArea {
  return {
    typeDefs: identityTypeDefs,
    resolvers: {
      Query: {
        identities: resolver(async (args: { identityPoolId: string; first?: number | null; after?: string | null }, context) => {
          await context.requireAdmin();
          const page = await listIdentities(deps, args.identityPoolId, args.first ?? 100, args.after ?? null);
          return { identities: page.identities.map(toIdentity), nextCursor: page.nextCursor };
        }),
      },
      Mutation: {
        getTokenForDeveloperIdentity: resolver(async (args: Record<string, unknown>, context) => {
          const input = parseDeveloperIdentityInput(args);
          await context.throttleAddress(input.identityPoolId);
          return getTokenForDeveloperIdentity(deps, input, context.bearerToken());
        }),
        linkLogin: resolver(async (args: { login: unknown; merge?: boolean | null; proof?: unknown }, context) => {
          const login = parseLoginInput(args.login);
          return linkLogin(deps, await context.caller(), login, args.merge ?? false, parseProofInput(args.proof));
        }),
        unlinkLogin: resolver(async (args: { provider: unknown; proof?: unknown }, context) => {
          const provider = parseBoundedArgument("provider", args.provider, 256);
          return toIdentity(await unlinkLogin(deps, await context.caller(), provider, parseProofInput(args.proof)));
        }),
        disableIdentity: resolver(async (args: { identityId: unknown }, context) => {
          await context.requireAdmin();
          return toIdentity(await disableIdentity(deps, parseBoundedArgument("identityId", args.identityId, 55)));
        }),
      },
    },
  };
}
