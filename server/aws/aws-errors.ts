/**
 * Errors as the AWS services send them, so the SDKs raise the exception classes apps already catch
 * (`ResourceConflictException`, `NotAuthorizedException`, ...): the full exception name in the
 * `x-amzn-ErrorType` header, the HTTP status AWS uses, and a JSON body with `message` (plus
 * `__type` for the JSON 1.1 services, which some SDK versions read instead of the header).
 *
 * Our own `SyncpoolError`s are translated per service (`fromSyncpoolError`); anything else is a bug,
 * masked as the service's internal error and logged by the caller.
 */
import { isSyncpoolError, type ErrorCode } from "../../core/errors.js";

/** An error to answer in AWS form. */
export class AwsError extends Error {
  override readonly name = "AwsError";
  constructor(
    /** The exception's name, e.g. `ResourceConflictException`. */
    readonly type: string,
    readonly status: number,
    message: string,
    /** For throttling: when to try again, sent as `Retry-After` (whole seconds). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The three services we speak; each names and numbers errors its own way. */
export type AwsServiceName = "cognito-identity" | "cognito-sync" | "kinesis";

type Mapping = Record<ErrorCode, [string, number]>;

const COGNITO_SYNC: Mapping = {
  UNAUTHENTICATED: ["NotAuthorizedException", 403],
  FORBIDDEN: ["NotAuthorizedException", 403],
  BAD_USER_INPUT: ["InvalidParameterException", 400],
  LIMIT_EXCEEDED: ["LimitExceededException", 400],
  CONFLICT: ["ResourceConflictException", 409],
  CLOCK_SKEW: ["InvalidParameterException", 400],
  TRIGGER_REJECTED: ["LambdaRejectedException", 400],
  TRIGGER_FAILED: ["InvalidLambdaFunctionOutputException", 400],
  RATE_LIMITED: ["TooManyRequestsException", 429],
  NOT_FOUND: ["ResourceNotFoundException", 404],
};

const COGNITO_IDENTITY: Mapping = {
  UNAUTHENTICATED: ["NotAuthorizedException", 400],
  FORBIDDEN: ["NotAuthorizedException", 400],
  BAD_USER_INPUT: ["InvalidParameterException", 400],
  LIMIT_EXCEEDED: ["LimitExceededException", 400],
  CONFLICT: ["ResourceConflictException", 400],
  CLOCK_SKEW: ["InvalidParameterException", 400],
  TRIGGER_REJECTED: ["InvalidParameterException", 400],
  TRIGGER_FAILED: ["InternalErrorException", 500],
  RATE_LIMITED: ["TooManyRequestsException", 429],
  NOT_FOUND: ["ResourceNotFoundException", 400],
};

const KINESIS: Mapping = {
  UNAUTHENTICATED: ["AccessDeniedException", 400],
  FORBIDDEN: ["AccessDeniedException", 400],
  BAD_USER_INPUT: ["InvalidArgumentException", 400],
  LIMIT_EXCEEDED: ["LimitExceededException", 400],
  CONFLICT: ["ResourceInUseException", 400],
  CLOCK_SKEW: ["InvalidArgumentException", 400],
  TRIGGER_REJECTED: ["InvalidArgumentException", 400],
  TRIGGER_FAILED: ["InternalFailure", 500],
  // Kinesis's throttling exception, which its SDK retries with backoff; 429 as the other two.
  RATE_LIMITED: ["ProvisionedThroughputExceededException", 429],
  NOT_FOUND: ["ResourceNotFoundException", 400],
};

const MAPPINGS: Record<AwsServiceName, Mapping> = { "cognito-identity": COGNITO_IDENTITY, "cognito-sync": COGNITO_SYNC, kinesis: KINESIS };
const INTERNAL: Record<AwsServiceName, string> = { "cognito-identity": "InternalErrorException", "cognito-sync": "InternalErrorException", kinesis: "InternalFailure" };

/** The AWS error for anything thrown while serving `service`; null for an unexpected error (a bug). */
export function toAwsError(service: AwsServiceName, error: unknown): AwsError | null {
  if (error instanceof AwsError) return error;
  if (isSyncpoolError(error)) {
    const [type, status] = MAPPINGS[service][error.code];
    const retryAfterMs = error.details["retryAfterMs"];
    return new AwsError(type, status, error.message, typeof retryAfterMs === "number" ? retryAfterMs : undefined);
  }
  return null;
}

/** The answer for an unexpected error: the service's internal error, message masked. */
export function internalError(service: AwsServiceName): AwsError {
  return new AwsError(INTERNAL[service], 500, "Unexpected error.");
}

/** The HTTP answer for `error` in the service's protocol (`json` 1.1 or `rest-json`). */
export function errorResponse(error: AwsError, protocol: "json" | "rest-json"): Response {
  const body = protocol === "json" ? { __type: error.type, message: error.message } : { message: error.message };
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: {
      "content-type": protocol === "json" ? "application/x-amz-json-1.1" : "application/json",
      "x-amzn-errortype": error.type,
      "x-amzn-requestid": crypto.randomUUID(),
      ...(error.retryAfterMs === undefined ? {} : { "retry-after": String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) }),
    },
  });
}

/** A successful JSON answer. */
export function jsonResponse(body: unknown, protocol: "json" | "rest-json", status = 200): Response {
  return new Response(JSON.stringify(body ?? {}), {
    status,
    headers: { "content-type": protocol === "json" ? "application/x-amz-json-1.1" : "application/json", "x-amzn-requestid": crypto.randomUUID() },
  });
}
