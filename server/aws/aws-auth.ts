/**
 * Who signed an AWS request. Two kinds of caller, told apart by the session token:
 *
 * - an identity, with the temporary credentials GetCredentialsForIdentity gave it (access key,
 *   secret and `X-Amz-Security-Token`); its identity must still be active;
 * - a pool's developer, with the long-lived key pair of the pool's `developerCredentials`
 *   (no session token): developer operations and the Kinesis API.
 *
 * Every failure answers as AWS does: MissingAuthenticationTokenException for an unsigned request,
 * UnrecognizedClientException for an unknown key, InvalidSignatureException for a bad signature or
 * a request dated more than 15 minutes away, ExpiredTokenException for expired credentials.
 */
import { isSharedOwnerId } from "../identity/shared-access.js";
import { createHash, timingSafeEqual } from "node:crypto";
import type { PoolSettings } from "../identity/pool-settings.js";
import type { PoolRegistry } from "../identity/pools.js";
import type { IdentityStore } from "../storage/identity-store.js";
import { AwsError } from "./aws-errors.js";
import { parseAuthorization, verifySignature, type SignedRequest } from "./sigv4.js";
import type { CredentialClaims, CredentialIssuer } from "./temporary-credentials.js";

/** An identity acting with its temporary credentials. */
export interface IdentityPrincipal {
  kind: "identity";
  claims: CredentialClaims;
  pool: PoolSettings;
}

/** A pool's developer acting with the pool's developer credentials. */
export interface DeveloperPrincipal {
  kind: "developer";
  pool: PoolSettings;
}

/** Who signed a request: an identity with temporary credentials, or a pool's developer. */
export type AwsPrincipal = IdentityPrincipal | DeveloperPrincipal;

/** What authentication reads. */
export interface AwsAuthDeps {
  pools: PoolRegistry;
  credentials: CredentialIssuer;
  storage: Pick<IdentityStore, "getIdentityStatus">;
  now: () => number;
}

/**
 * Verifies the request's signature for `service` (the credential scope's service name).
 * @throws AwsError as listed in the module comment.
 */
export async function authenticate(deps: AwsAuthDeps, request: SignedRequest, service: string): Promise<AwsPrincipal> {
  const auth = parseAuthorization(request.headers.get("authorization"));
  if (auth === null) throw new AwsError("MissingAuthenticationTokenException", 403, "Missing Authentication Token");
  const sessionToken = request.headers.get("x-amz-security-token");
  if (sessionToken !== null) {
    if (!auth.signedHeaders.includes("x-amz-security-token")) {
      throw new AwsError("IncompleteSignatureException", 400, "'x-amz-security-token' must be a signed header.");
    }
    const { claims, secretAccessKey } = deps.credentials.verify(sessionToken, auth.accessKeyId);
    verifySignature(request, auth, secretAccessKey, service, deps.now());
    const pool = await deps.pools.get(claims.poolId);
    const status = await deps.storage.getIdentityStatus(claims.identityId);
    if (!pool || status === null || status.poolId !== claims.poolId) throw new AwsError("NotAuthorizedException", 403, "The identity of these credentials no longer exists.");
    if (status.disabledAt !== null) {
      throw new AwsError("NotAuthorizedException", 403, status.mergedInto ? `Identity was merged into ${status.mergedInto}.` : "Identity is disabled.");
    }
    return { kind: "identity", claims, pool };
  }
  const pool = await findDeveloperPool(deps.pools, auth.accessKeyId);
  if (!pool) throw new AwsError("UnrecognizedClientException", 403, "The security token included in the request is invalid.");
  verifySignature(request, auth, pool.developerCredentials!.secretAccessKey, service, deps.now());
  return { kind: "developer", pool };
}

/**
 * The developer principal for `poolId`.
 * @throws AwsError NotAuthorizedException for identity credentials or another pool's key.
 */
export function requireDeveloper(principal: AwsPrincipal, poolId: string): DeveloperPrincipal {
  if (principal.kind !== "developer") {
    throw new AwsError("NotAuthorizedException", 403, "This operation needs the identity pool's developer credentials, not an identity's.");
  }
  if (principal.pool.id !== poolId) throw new AwsError("NotAuthorizedException", 403, `These developer credentials are not for identity pool ${poolId}.`);
  return principal;
}

/**
 * The identity principal acting on `identityId` of `poolId` (the ids in the request path).
 * @throws AwsError NotAuthorizedException for developer credentials or another identity's path.
 */
export function requireIdentity(principal: AwsPrincipal, poolId: string, identityId: string): IdentityPrincipal {
  if (principal.kind !== "identity") throw new AwsError("NotAuthorizedException", 403, "This operation needs an identity's credentials.");
  if (isSharedOwnerId(identityId)) {
    throw new AwsError("NotAuthorizedException", 403, "Shared datasets are not part of Cognito Sync: sync them over GraphQL with shared: true.");
  }
  if (principal.claims.poolId !== poolId || principal.claims.identityId !== identityId) {
    throw new AwsError("NotAuthorizedException", 403, `Access to Identity '${identityId}' is forbidden.`);
  }
  return principal;
}

/** The pool whose developer access key id this is; constant-time on the key comparison. */
async function findDeveloperPool(pools: PoolRegistry, accessKeyId: string): Promise<PoolSettings | null> {
  const wanted = digest(accessKeyId);
  for (const view of await pools.list()) {
    const pool = await pools.get(view.id);
    const credentials = pool?.developerCredentials;
    if (credentials && timingSafeEqual(digest(credentials.accessKeyId), wanted)) return pool;
  }
  return null;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
