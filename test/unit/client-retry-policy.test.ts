/**
 * Which failures the client retries, which refusals it gives up on (dropping the push), and that
 * a wrong endpoint is neither: the classification schema/PROTOCOL.md's table of error codes states.
 */
import { describe, expect, it } from "vitest";
import { ERROR_CODES, SyncpoolError, type ErrorCode } from "../../core/errors.js";
import { isPermanentRefusal, isRetryable } from "../../client/sync/retry-policy.js";
import { BadEndpointError } from "../../client/transport/bad-endpoint-error.js";
import { NetworkError } from "../../client/transport/network-error.js";

const refusal = (code: ErrorCode) => new SyncpoolError(code, code);

describe("the client's retry policy", () => {
  it("drops a push refused with LIMIT_EXCEEDED, TRIGGER_REJECTED, BAD_USER_INPUT or FORBIDDEN, and no other", () => {
    const permanent = ERROR_CODES.filter((code) => isPermanentRefusal(refusal(code)));
    expect(permanent.sort()).toEqual(["BAD_USER_INPUT", "FORBIDDEN", "LIMIT_EXCEEDED", "TRIGGER_REJECTED"]);
    expect(isPermanentRefusal(new NetworkError("down"))).toBe(false);
    expect(isPermanentRefusal(new BadEndpointError("404", 404, "http://x/graphq"))).toBe(false);
  });

  it("retries network failures, RATE_LIMITED, CLOCK_SKEW and TRIGGER_FAILED with backoff", () => {
    expect(isRetryable(new NetworkError("down"))).toBe(true);
    const retried = ERROR_CODES.filter((code) => isRetryable(refusal(code)));
    expect(retried.sort()).toEqual(["CLOCK_SKEW", "RATE_LIMITED", "TRIGGER_FAILED"]);
  });

  it("does not back off on a wrong endpoint", () => {
    expect(isRetryable(new BadEndpointError("404", 404, "http://x/graphq"))).toBe(false);
  });
});
