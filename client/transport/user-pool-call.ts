/**
 * One call of a user pool's Cognito JSON 1.1 API (`POST <endpoint>/aws/cognito-idp`, the operation
 * in `X-Amz-Target`), as the user-pool entry point (`client/user-pool/`) makes them. The server's
 * refusals come back as `UserPoolError` carrying Cognito's own `__type` as a stable code; a server
 * that cannot be reached, or answers with something other than JSON, is a `NetworkError`.
 */
import type { FetchFunction } from "./graphql-transport.js";
import { NetworkError } from "./network-error.js";

/** A refusal of the user pool: `code` is Cognito's exception name (`NotAuthorizedException`, `CodeMismatchException`, ...). */
export class UserPoolError extends Error {
  override readonly name = "UserPoolError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Sends `operation` with `body` to the user-pool API under `endpoint` (the server's origin) and
 * returns the JSON answer.
 * @throws UserPoolError on a refusal; NetworkError when there is no usable answer.
 */
export async function callUserPool(fetchFn: FetchFunction, endpoint: string, operation: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetchFn(`${endpoint.replace(/\/+$/, "")}/aws/cognito-idp`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${operation}` },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new NetworkError(`user pool unreachable: ${String(error)}`, undefined, { cause: error });
  }
  const json = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (json === null || typeof json !== "object") throw new NetworkError(`user pool answered ${response.status} without JSON`, response.status);
  if (response.ok) return json;
  const type = String(json["__type"] ?? "UnknownError");
  throw new UserPoolError(type.slice(type.lastIndexOf("#") + 1), String(json["message"] ?? json["Message"] ?? type));
}
