/**
 * The admin area (`schema/admin-type-defs.ts`): an identity's datasets and records as the admin
 * sees them. Every resolver awaits `requireAdmin()` first; then the identity's own operations
 * (`server/sync`) run for it, with its pool's limits, so the admin reads and deletes exactly as
 * the owner would (a deletion appends its stream event and notifies the owner's devices).
 */
import { SyncpoolError } from "../../core/errors.js";
import { adminTypeDefs } from "../../schema/admin-type-defs.js";
import type { IdentityDeps } from "../identity/identity-deps.js";
import { describeIdentity } from "../identity/link-logins.js";
import { maskSecrets } from "../identity/mask-secrets.js";
import { addGroupMember, listGroupMembers, removeGroupMember } from "../identity/admin-groups.js";
import { deleteDataset, getUsage, listDatasets } from "../sync/datasets.js";
import { pullRecords } from "../sync/pull-records.js";
import type { Caller, SyncDeps } from "../sync/types.js";
import { toIdentity } from "./identity-area.js";
import { parseBoundedArgument } from "./inputs.js";
import { resolver } from "./resolvers.js";
import type { SchemaArea } from "./schema.js";

/** What the admin area reads and changes. */
export interface AdminAreaDeps {
  sync: SyncDeps;
  identity: IdentityDeps;
}

/** Builds the area. */
export function createAdminArea({ sync, identity }: AdminAreaDeps): SchemaArea {
  /** The identity as a `Caller` with its pool's limits: what its own requests would act as. */
  const actAs = async (identityId: unknown): Promise<Caller> => {
    const id = parseBoundedArgument("identityId", identityId, 55);
    const status = await identity.storage.identities.getIdentityStatus(id);
    const pool = status && (await identity.pools.get(status.poolId));
    if (!status || !pool) throw new SyncpoolError("NOT_FOUND", `identity "${id}" not found`, { field: "identityId" });
    return { identityId: id, poolId: pool.id, limits: pool.limits };
  };
  const describe = async (id: string | null) => {
    const status = id === null ? null : await identity.storage.identities.getIdentityStatus(id);
    return status === null ? null : toIdentity(await describeIdentity(identity, status));
  };

  const groupArgs = (args: { identityPoolId: unknown; group: unknown }) => ({
    poolId: parseBoundedArgument("identityPoolId", args.identityPoolId, 128),
    group: parseBoundedArgument("group", args.group, 128),
  });

  return {
    typeDefs: adminTypeDefs,
    resolvers: {
      Query: {
        identity: resolver(async (args: { identityId: unknown }, context) => {
          await context.requireAdmin();
          return describe(parseBoundedArgument("identityId", args.identityId, 55));
        }),
        identityByLogin: resolver(async (args: { identityPoolId: unknown; provider: unknown; subject: unknown }, context) => {
          await context.requireAdmin();
          const poolId = parseBoundedArgument("identityPoolId", args.identityPoolId, 128);
          const login = { provider: parseBoundedArgument("provider", args.provider, 1024), subject: parseBoundedArgument("subject", args.subject, 1024) };
          return describe(await identity.storage.identities.findLoginOwner(poolId, login));
        }),
        identityDatasets: resolver(async (args: { identityId: unknown }, context) => {
          await context.requireAdmin();
          const caller = await actAs(args.identityId);
          return { usage: await getUsage(sync, caller), datasets: await listDatasets(sync, caller) };
        }),
        identityRecords: resolver(
          async (args: { identityId: unknown; dataset: string; sinceSyncCount?: number | null; first?: number | null; after?: string | null }, context) => {
            await context.requireAdmin();
            const { identityId, ...recordsArgs } = args;
            return pullRecords(sync, await actAs(identityId), recordsArgs);
          },
        ),
        identityPoolSettings: resolver(async (args: { identityPoolId: unknown }, context) => {
          await context.requireAdmin();
          const pool = await identity.pools.get(parseBoundedArgument("identityPoolId", args.identityPoolId, 128));
          return pool === null ? null : maskSecrets(pool);
        }),
        groupMembers: resolver(async (args: { identityPoolId: unknown; group: unknown }, context) => {
          await context.requireAdmin();
          const { poolId, group } = groupArgs(args);
          return listGroupMembers(identity, poolId, group);
        }),
      },
      Mutation: {
        deleteIdentityDataset: resolver(async (args: { identityId: unknown; dataset: string }, context) => {
          await context.requireAdmin();
          return deleteDataset(sync, await actAs(args.identityId), args.dataset);
        }),
        addGroupMember: resolver(async (args: { identityPoolId: unknown; group: unknown; identityId: unknown }, context) => {
          await context.requireAdmin();
          const { poolId, group } = groupArgs(args);
          return addGroupMember(identity, poolId, group, parseBoundedArgument("identityId", args.identityId, 55));
        }),
        removeGroupMember: resolver(async (args: { identityPoolId: unknown; group: unknown; identityId: unknown }, context) => {
          await context.requireAdmin();
          const { poolId, group } = groupArgs(args);
          return removeGroupMember(identity, poolId, group, parseBoundedArgument("identityId", args.identityId, 55));
        }),
      },
    },
  };
}
