/**
 * Errors of the user-pool API as Cognito sends them: HTTP 400 (500 for the internal error, AWS's
 * status for a refused signature), the
 * exception's name as body `__type` and as `x-amzn-errortype`, and `message`. The SDK reads the
 * body first and Amplify the header first, so both carry it.
 */

/** The exception names this API answers with (Cognito's names, exactly). */
export type UserPoolErrorType =
  | "NotAuthorizedException"
  | "UserNotFoundException"
  | "UsernameExistsException"
  | "UserNotConfirmedException"
  | "CodeMismatchException"
  | "ExpiredCodeException"
  | "InvalidPasswordException"
  | "InvalidParameterException"
  | "LimitExceededException"
  | "TooManyRequestsException"
  | "TooManyFailedAttemptsException"
  | "PasswordResetRequiredException"
  | "PasswordHistoryPolicyViolationException"
  | "SoftwareTokenMFANotFoundException"
  | "EnableSoftwareTokenMFAException"
  | "RefreshTokenReuseException"
  | "ResourceNotFoundException"
  | "UnsupportedTokenTypeException"
  | "AliasExistsException"
  | "UnknownOperationException"
  | "GroupExistsException"
  | "UnsupportedUserStateException"
  | "MissingAuthenticationTokenException"
  | "UnrecognizedClientException"
  | "InvalidSignatureException"
  | "IncompleteSignatureException"
  | "WebAuthnNotEnabledException"
  | "WebAuthnChallengeNotFoundException"
  | "WebAuthnRelyingPartyMismatchException"
  | "WebAuthnOriginNotAllowedException"
  | "WebAuthnCredentialNotSupportedException"
  | "WebAuthnClientMismatchException"
  | "UserLambdaValidationException"
  | "UnexpectedLambdaException"
  | "InvalidLambdaResponseException"
  | "InternalErrorException";

/** A refusal to answer in Cognito's form. */
export class UserPoolError extends Error {
  override readonly name = "UserPoolError";
  constructor(
    readonly type: UserPoolErrorType,
    message: string,
    /** HTTP status: 400, except the internal error (500) and the SigV4 refusals, which keep AWS's. */
    readonly status = type === "InternalErrorException" ? 500 : 400,
  ) {
    super(message);
  }
}

/** A per-address limit's refusal (`address-limits.ts`): its answer carries `Retry-After`. */
export class TooManyRequestsError extends UserPoolError {
  constructor(
    /** Whole seconds until the address's bucket holds a token again (at least 1). */
    readonly retryAfterSeconds: number,
  ) {
    super("TooManyRequestsException", "Rate exceeded");
  }
}

/** Cognito's answer to a challenge Session presented again after it was answered. */
export const usedSession = () => new UserPoolError("NotAuthorizedException", "Invalid session for the user, session can only be used once.");

/** Cognito's answer to a wrong username or password (the same for both, so users cannot be probed). */
export const wrongCredentials = () => new UserPoolError("NotAuthorizedException", "Incorrect username or password.");

/** The HTTP answer for `error`. */
export function userPoolErrorResponse(error: UserPoolError): Response {
  return new Response(JSON.stringify({ __type: error.type, message: error.message }), {
    status: error.status,
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amzn-errortype": error.type,
      "x-amzn-requestid": crypto.randomUUID(),
      ...(error instanceof TooManyRequestsError ? { "retry-after": String(error.retryAfterSeconds) } : {}),
    },
  });
}
