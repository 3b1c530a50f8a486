/**
 * Which failed passes the sync loop retries with backoff. Network failures and unexpected faults
 * are worth another try; so are the server codes that say "not now" rather than "not this":
 * RATE_LIMITED (after the wait it names), CLOCK_SKEW (the clock was corrected), and
 * TRIGGER_FAILED (the server's sync trigger timed out or answered badly; nothing was committed).
 * TRIGGER_REJECTED is the trigger's verdict on the writes, and retrying cannot change it. An
 * answer that is not GraphQL (`BadEndpointError`: a wrong URL) is not retried with backoff either:
 * the loop tries again on its next trigger (the interval, a write, `sync()`, coming online).
 */
import { SyncpoolError, type ErrorCode } from "../../core/errors.js";
import { isBadEndpointError } from "../transport/bad-endpoint-error.js";

const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set(["RATE_LIMITED", "CLOCK_SKEW", "TRIGGER_FAILED"]);

/** True when a pass that failed with `error` should be retried with backoff. */
export function isRetryable(error: unknown): boolean {
  if (isBadEndpointError(error)) return false;
  if (!(error instanceof SyncpoolError)) return true;
  return RETRYABLE_CODES.has(error.code);
}

/**
 * Server verdicts on a push that no retry can change: the writes themselves are refused (a limit,
 * the pool's or the trigger's rules, the caller's rights). The client drops such a batch from the
 * outbox and reports it (`writeRejected`) instead of sending it again forever.
 */
const PERMANENT_REFUSALS: ReadonlySet<ErrorCode> = new Set(["LIMIT_EXCEEDED", "TRIGGER_REJECTED", "BAD_USER_INPUT", "FORBIDDEN"]);

/** True when a push that failed with `error` was refused for good (see PERMANENT_REFUSALS). */
export function isPermanentRefusal(error: unknown): error is SyncpoolError {
  return error instanceof SyncpoolError && PERMANENT_REFUSALS.has(error.code);
}
