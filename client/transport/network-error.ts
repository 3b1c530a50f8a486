/**
 * Failures of the network rather than of the request: the server could not be reached, the
 * connection dropped, or the answer was not GraphQL (a proxy's 502). Always safe to retry, since
 * pushes are idempotent on their mutation id. Kept apart from `SyncpoolError`, whose codes are the
 * server's verdicts on a request.
 */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
  /** Always true: the same request may be sent again. */
  readonly retryable = true;
  constructor(
    message: string,
    /** HTTP status when the server answered, else undefined. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for a failure of the network (retry later), false for a verdict of the server. */
export function isNetworkError(error: unknown): error is NetworkError {
  return error instanceof NetworkError;
}
