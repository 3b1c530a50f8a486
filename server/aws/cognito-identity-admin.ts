/**
 * The developer's read operations of Cognito Identity (LookupDeveloperIdentity, DescribeIdentity,
 * ListIdentities), over the identity store. Logins are shown as Cognito names providers: the
 * developer provider's name, or an issuer without its scheme.
 */
import { listIdentities } from "../identity/admin-identities.js";
import type { IdentityDeps } from "../identity/identity-deps.js";
import type { PoolSettings } from "../identity/pool-settings.js";
import type { IdentitySummary } from "../storage/identity-store.js";
import { AwsError } from "./aws-errors.js";
import { loginKeyOf } from "./aws-logins.js";
import { optionalString } from "./aws-request.js";

type Body = Record<string, unknown>;

/** LookupDeveloperIdentity: an identity by developer user id, or a user id by identity. */
export async function lookupDeveloperIdentityOp(deps: IdentityDeps, pool: PoolSettings, body: Body): Promise<unknown> {
  const provider = pool.developerProvider?.name;
  if (!provider) throw new AwsError("ResourceNotFoundException", 400, `Identity pool ${pool.id} has no developer provider.`);
  const userId = optionalString(body, "DeveloperUserIdentifier", 1024);
  let identityId = optionalString(body, "IdentityId", 55);
  if (userId !== null) {
    const owner = await deps.storage.identities.findLoginOwner(pool.id, { provider, subject: userId });
    if (owner === null || (identityId !== null && owner !== identityId)) throw new AwsError("ResourceNotFoundException", 400, "Developer user identifier not found.");
    identityId = owner;
  }
  if (identityId === null) throw new AwsError("InvalidParameterException", 400, "Pass IdentityId or DeveloperUserIdentifier.");
  const status = await deps.storage.identities.getIdentityStatus(identityId);
  if (!status || status.poolId !== pool.id) throw new AwsError("ResourceNotFoundException", 400, `Identity '${identityId}' not found.`);
  const users = (await deps.storage.identities.listLogins(identityId)).filter((login) => login.provider === provider).map((login) => login.subject);
  return { IdentityId: identityId, DeveloperUserIdentifierList: users };
}

/** DescribeIdentity: its logins and dates (epoch seconds). */
export async function describeIdentityOp(deps: IdentityDeps, pool: PoolSettings, identityId: string): Promise<unknown> {
  const identity = await deps.storage.pools.getIdentity(identityId);
  if (!identity || identity.poolId !== pool.id) throw new AwsError("ResourceNotFoundException", 400, `Identity '${identityId}' not found.`);
  const logins = await deps.storage.identities.listLogins(identityId);
  const lastLinked = Math.max(identity.createdAt, ...logins.map((login) => login.linkedAt));
  return { IdentityId: identityId, Logins: [...new Set(logins.map((login) => providerName(pool, login.provider)))], CreationDate: identity.createdAt / 1000, LastModifiedDate: lastLinked / 1000 };
}

/** ListIdentities: a page of the pool's identities; `NextToken` is the last id. */
export async function listIdentitiesOp(deps: IdentityDeps, pool: PoolSettings, body: Body): Promise<unknown> {
  const max = body["MaxResults"];
  if (typeof max !== "number" || !Number.isInteger(max) || max < 1 || max > 60) throw new AwsError("InvalidParameterException", 400, "MaxResults must be an integer from 1 to 60.");
  const page = await listIdentities(deps, pool.id, max, optionalString(body, "NextToken", 128));
  const hideDisabled = body["HideDisabled"] === true;
  return {
    IdentityPoolId: pool.id,
    Identities: page.identities.filter((identity) => !hideDisabled || identity.disabledAt === null).map((identity) => describeSummary(pool, identity)),
    ...(page.nextCursor === null ? {} : { NextToken: page.nextCursor }),
  };
}

function describeSummary(pool: PoolSettings, identity: IdentitySummary): Record<string, unknown> {
  const lastLinked = Math.max(identity.createdAt, ...identity.logins.map((login) => login.linkedAt));
  return {
    IdentityId: identity.id,
    Logins: [...new Set(identity.logins.map((login) => providerName(pool, login.provider)))],
    CreationDate: identity.createdAt / 1000,
    LastModifiedDate: lastLinked / 1000,
  };
}

/** A stored login's provider (issuer URL or developer provider name) as Cognito names it. */
function providerName(pool: PoolSettings, stored: string): string {
  return stored === pool.developerProvider?.name ? stored : loginKeyOf(stored);
}
