/**
 * The error codes of the sync protocol. Both sides raise `SyncpoolError`; the server maps it to a
 * GraphQL error with `extensions.code`, the client rethrows the server's code with the same class,
 * so an app handles a local limit breach and a server one with the same code.
 */
export const ERROR_CODES = [
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "BAD_USER_INPUT",
  "LIMIT_EXCEEDED",
  "CONFLICT",
  "CLOCK_SKEW",
  "TRIGGER_REJECTED",
  // The sync trigger did not answer in time, answered something malformed, or failed: nothing committed.
  "TRIGGER_FAILED",
  "RATE_LIMITED",
  "NOT_FOUND",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Extra, machine-readable facts about an error (the field, the limit, the server time...). */
export type ErrorDetails = Record<string, unknown>;

/** An error the caller caused and can act on. Anything else is a bug and is masked. */
export class SyncpoolError extends Error {
  override readonly name = "SyncpoolError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }
}

/** True for an error carrying one of the protocol's codes. */
export function isSyncpoolError(error: unknown): error is SyncpoolError {
  return error instanceof SyncpoolError;
}
