/**
 * Cognito Identity (AWS JSON 1.1, `X-Amz-Target: AWSCognitoIdentityService.<Op>`) over our
 * identity layer. GetId, GetCredentialsForIdentity, GetOpenIdToken and UnlinkIdentity are unsigned,
 * as in AWS (the `Logins` map proves the caller, `identity-access.ts`); the others need the pool's
 * developer credentials (SigV4, service `cognito-identity`).
 */
import { randomUUID } from "node:crypto";
import type { IdentityDeps } from "../identity/identity-deps.js";
import { resolveLoginIdentity } from "../identity/login-identity.js";
import { unlinkProvenLogin } from "../identity/link-logins.js";
import type { PoolSettings } from "../identity/pool-settings.js";
import { resolveGrant } from "../identity/resolve-grant.js";
import { hashDeviceSecret } from "../identity/sign-in.js";
import { requireDeveloper, type AwsPrincipal } from "./aws-auth.js";
import { AwsError } from "./aws-errors.js";
import type { AwsThrottle } from "./aws-throttle.js";
import { GUEST_SECRET_LOGIN, providerFor, readLogins } from "./aws-logins.js";
import { loginsOf, optionalString, requireString } from "./aws-request.js";
import { describeIdentityOp, listIdentitiesOp, lookupDeveloperIdentityOp } from "./cognito-identity-admin.js";
import { accessIdentity } from "./identity-access.js";
import type { CredentialIssuer } from "./temporary-credentials.js";

/** Operations that AWS serves without a signature. */
export const UNSIGNED_IDENTITY_OPERATIONS = new Set(["GetId", "GetCredentialsForIdentity", "GetOpenIdToken", "UnlinkIdentity"]);

/** Every operation served; any other target is UnknownOperationException, before any signature check. */
export const IDENTITY_OPERATIONS: ReadonlySet<string> = new Set([
  ...UNSIGNED_IDENTITY_OPERATIONS,
  "GetOpenIdTokenForDeveloperIdentity",
  "LookupDeveloperIdentity",
  "DescribeIdentity",
  "ListIdentities",
  "DescribeIdentityPool",
  "ListIdentityPools",
]);

/** Shortest guest secret accepted in `syncpool.guest` when a guest is created. */
const MIN_GUEST_SECRET_LENGTH = 32;
/** Longest one: a secret is random text, and a megabyte of it is only a way to waste our hashing. */
const MAX_GUEST_SECRET_LENGTH = 1024;

/** What the operations need. */
export interface CognitoIdentityDeps {
  identity: IdentityDeps;
  credentials: CredentialIssuer;
  /** This request's rate limits (signed calls were throttled when authenticated). */
  throttle: AwsThrottle;
}

type Body = Record<string, unknown>;

/**
 * Runs one operation; `principal` is null for unsigned calls.
 * @throws AwsError (unknown operation, bad input, refused), SyncpoolError (mapped by the caller).
 */
export async function cognitoIdentityOperation(deps: CognitoIdentityDeps, operation: string, body: Body, principal: AwsPrincipal | null): Promise<unknown> {
  const { identity } = deps;
  switch (operation) {
    case "GetId":
      return getId(identity, body, deps.throttle);
    case "GetCredentialsForIdentity": {
      const access = await accessIdentity(identity, requireString(body, "IdentityId", 55), loginsOf(body), deps.throttle);
      return { IdentityId: access.identityId, Credentials: deps.credentials.issue(access.identityId, access.pool.id, access.grant, access.notAfterMs ?? undefined) };
    }
    case "GetOpenIdToken": {
      const access = await accessIdentity(identity, requireString(body, "IdentityId", 55), loginsOf(body), deps.throttle);
      const issued = await identity.tokens.issue(access.identityId, access.pool.id, access.grant, access.notAfterMs ?? undefined);
      return { IdentityId: access.identityId, Token: issued.token };
    }
    case "UnlinkIdentity":
      return unlinkIdentity(identity, body, deps.throttle);
  }
  const pool = developerPool(principal, body, operation);
  switch (operation) {
    case "GetOpenIdTokenForDeveloperIdentity":
      return developerToken(identity, pool, body);
    case "LookupDeveloperIdentity":
      return lookupDeveloperIdentityOp(identity, pool, body);
    case "DescribeIdentity":
      return describeIdentityOp(identity, pool, requireString(body, "IdentityId", 55));
    case "ListIdentities":
      return listIdentitiesOp(identity, pool, body);
    case "DescribeIdentityPool":
      return describePool(pool);
    case "ListIdentityPools":
      return { IdentityPools: [{ IdentityPoolId: pool.id, IdentityPoolName: pool.id }] };
    default:
      throw new AwsError("UnknownOperationException", 400, `Unknown operation ${operation}`);
  }
}

/** The pool a developer call is for: the one its credentials belong to (and the one it names, if any). */
function developerPool(principal: AwsPrincipal | null, body: Body, operation: string): PoolSettings {
  if (principal === null) throw new AwsError("MissingAuthenticationTokenException", 403, `${operation} needs the identity pool's developer credentials (SigV4).`);
  if (principal.kind !== "developer") throw new AwsError("NotAuthorizedException", 400, `${operation} needs the identity pool's developer credentials, not an identity's.`);
  const named = optionalString(body, "IdentityPoolId", 55);
  if (named !== null) requireDeveloper(principal, named);
  return principal.pool;
}

async function getId(deps: IdentityDeps, body: Body, throttle: AwsThrottle): Promise<{ IdentityId: string }> {
  const poolId = requireString(body, "IdentityPoolId", 55);
  const pool = await deps.pools.get(poolId);
  throttle.address(pool);
  if (!pool) throw new AwsError("ResourceNotFoundException", 400, `IdentityPool '${poolId}' not found.`);
  const proven = await readLogins(deps, pool, loginsOf(body));
  if (proven.oidc.length > 0) {
    const resolved = await resolveLoginIdentity(deps, pool, proven.oidc.map((login) => login.key), null, { allowMerge: false });
    return { IdentityId: resolved.identityId };
  }
  if (proven.ownToken) return { IdentityId: proven.ownToken.identityId };
  if (!pool.allowGuests) throw new AwsError("NotAuthorizedException", 400, "Unauthenticated access is not supported for this identity pool.");
  const secret = proven.guestSecret;
  if (secret === null && pool.awsGuestAccess === "secret") {
    throw new AwsError("NotAuthorizedException", 400, `This identity pool requires a guest secret: pass '${GUEST_SECRET_LOGIN}': <at least ${MIN_GUEST_SECRET_LENGTH} random characters> in Logins.`);
  }
  if (secret !== null && (secret.length < MIN_GUEST_SECRET_LENGTH || secret.length > MAX_GUEST_SECRET_LENGTH)) {
    throw new AwsError("InvalidParameterException", 400, `The '${GUEST_SECRET_LOGIN}' secret must have ${MIN_GUEST_SECRET_LENGTH} to ${MAX_GUEST_SECRET_LENGTH} characters.`);
  }
  throttle.newGuest(pool);
  const identityId = `${pool.region}:${randomUUID()}`;
  await deps.storage.pools.createIdentity({ id: identityId, poolId: pool.id, secretHash: secret === null ? null : hashDeviceSecret(secret), createdAt: deps.now() });
  return { IdentityId: identityId };
}

async function unlinkIdentity(deps: IdentityDeps, body: Body, throttle: AwsThrottle): Promise<Record<string, never>> {
  const access = await accessIdentity(deps, requireString(body, "IdentityId", 55), loginsOf(body), throttle);
  const remove = body["LoginsToRemove"];
  if (!Array.isArray(remove) || remove.some((item) => typeof item !== "string")) throw new AwsError("InvalidParameterException", 400, "LoginsToRemove must be a list of provider names.");
  for (const key of remove as string[]) {
    const provider = key === access.pool.developerProvider?.name ? key : providerFor(access.pool, key).name;
    await unlinkProvenLogin(deps, { identityId: access.identityId, poolId: access.pool.id }, provider);
  }
  return {};
}

async function developerToken(deps: IdentityDeps, pool: PoolSettings, body: Body): Promise<{ IdentityId: string; Token: string }> {
  const provider = pool.developerProvider;
  if (!provider) throw new AwsError("InvalidParameterException", 400, `Identity pool ${pool.id} has no developer provider (developerProvider.name).`);
  const logins = loginsOf(body);
  const userId = logins[provider.name];
  if (userId === undefined || Object.keys(logins).length !== 1) {
    throw new AwsError("InvalidParameterException", 400, `Logins must hold exactly the developer provider '${provider.name}'.`);
  }
  const claimedId = optionalString(body, "IdentityId", 55);
  const resolved = await resolveLoginIdentity(deps, pool, [{ provider: provider.name, subject: userId }], claimedId ? { id: claimedId, proven: true } : null, { allowMerge: true });
  const grant = resolveGrant(pool, { providerName: provider.name, claims: { iss: provider.name, sub: userId, aud: pool.id } });
  const issued = await deps.tokens.issue(resolved.identityId, pool.id, grant);
  return { IdentityId: resolved.identityId, Token: issued.token };
}

function describePool(pool: PoolSettings): Record<string, unknown> {
  return {
    IdentityPoolId: pool.id,
    IdentityPoolName: pool.id,
    AllowUnauthenticatedIdentities: pool.allowGuests,
    AllowClassicFlow: false,
    SupportedLoginProviders: {},
    ...(pool.developerProvider ? { DeveloperProviderName: pool.developerProvider.name } : {}),
    OpenIdConnectProviderARNs: pool.providers.map((provider) => `arn:aws:iam::000000000000:oidc-provider/${provider.issuer.replace(/^https?:\/\//, "")}`),
  };
}
