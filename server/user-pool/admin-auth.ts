/**
 * Who may call the user pool's Admin* and group operations: a caller signing with AWS Signature
 * Version 4 (service `cognito-idp`) under the developer credentials of the identity pool the user
 * pool is linked to (`identityPool` in its settings, `developerCredentials` in that pool's). The
 * signature is checked by `server/aws/sigv4.ts`, over the SHA-256 of the body bytes as received.
 *
 * Refusals as AWS answers them: MissingAuthenticationTokenException (unsigned, 403),
 * UnrecognizedClientException (a key that is not this pool's developer key, 403),
 * InvalidSignatureException (wrong signature, scope or date, 403), IncompleteSignatureException (400).
 */
import { timingSafeEqual, createHash } from "node:crypto";
import { AwsError } from "../aws/aws-errors.js";
import { parseAuthorization, verifySignature, type SignedRequest } from "../aws/sigv4.js";
import type { LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError, type UserPoolErrorType } from "./user-pool-errors.js";

/** The signing service name of Cognito user pools. */
export const USER_POOL_SIGNING_SERVICE = "cognito-idp";

/**
 * Checks that `request` is signed with the developer credentials of `pool`'s identity pool.
 * @throws UserPoolError as listed in the module comment.
 */
export async function authenticateAdmin(deps: UserPoolDeps, request: SignedRequest, pool: LoadedUserPool): Promise<void> {
  try {
    const auth = parseAuthorization(request.headers.get("authorization"));
    if (auth === null) throw new AwsError("MissingAuthenticationTokenException", 403, "Missing Authentication Token");
    const identityPool = pool.settings.identityPool;
    const credentials = identityPool === null ? null : await deps.developerCredentialsOf(identityPool);
    if (credentials === null || !sameText(credentials.accessKeyId, auth.accessKeyId)) {
      throw new AwsError("UnrecognizedClientException", 403, "The security token included in the request is invalid.");
    }
    verifySignature(request, auth, credentials.secretAccessKey, USER_POOL_SIGNING_SERVICE, deps.now());
  } catch (error) {
    if (error instanceof AwsError) throw new UserPoolError(error.type as UserPoolErrorType, error.message, error.status);
    throw error;
  }
}

/** Constant-time comparison of two key ids (through their digests, so lengths may differ). */
function sameText(left: string, right: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(left), digest(right));
}

/**
 * The pool a developer call names in `UserPoolId`.
 * @throws UserPoolError InvalidParameterException (absent), ResourceNotFoundException (unknown).
 */
export function adminPoolOf(deps: UserPoolDeps, body: Record<string, unknown>): LoadedUserPool {
  const poolId = body["UserPoolId"];
  if (typeof poolId !== "string" || poolId.length === 0) {
    throw new UserPoolError("InvalidParameterException", "1 validation error detected: Value at 'userPoolId' failed to satisfy constraint: Member must not be null");
  }
  const pool = deps.pools.get(poolId);
  if (pool === undefined) throw new UserPoolError("ResourceNotFoundException", `User pool ${poolId.slice(0, 55)} does not exist.`);
  return pool;
}
