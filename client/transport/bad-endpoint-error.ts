/**
 * The endpoint answered, but not as a GraphQL server: a wrong URL (`HTTP 404`, an HTML page), a
 * redirect to a login page, a server of something else. Unlike a `NetworkError` this is not
 * "offline": asking again soon gets the same answer, so the sync loop does not back off and retry
 * it; it reports it (`syncError`) and tries again only on its next trigger (the interval, a write,
 * `sync()`, coming online). Client-side only: the server never sends this code.
 */
export class BadEndpointError extends Error {
  override readonly name = "BadEndpointError";
  /** Stable code, as `SyncpoolError.code` is for the server's verdicts. */
  readonly code = "BAD_ENDPOINT";
  /** Retrying at once cannot help: the app's configuration is wrong. */
  readonly retryable = false;
  constructor(
    message: string,
    /** The HTTP status of the answer. */
    readonly status: number,
    /** The endpoint that answered. */
    readonly endpoint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for an answer that was not GraphQL (see `BadEndpointError`). */
export function isBadEndpointError(error: unknown): error is BadEndpointError {
  return error instanceof BadEndpointError;
}
