/**
 * The one place push deliveries touch the network: a POST through the outbound guard
 * (`server/outbound-http.ts`: public addresses only, the checked address is the one connected to,
 * redirects never followed, the answer read up to a small cap). The notifier takes it as a
 * function, so tests and benchmarks can pass their own.
 */
import { outboundRequest, type OutboundPolicy } from "../outbound-http.js";
import type { OutgoingRequest } from "./notification-requests.js";

/** What a delivery needs to know about the answer. */
export interface PostOutcome {
  /** HTTP status; 0 when no answer came (network error, timeout). */
  status: number;
  /** `Retry-After` in ms when the answer carried one (seconds or an HTTP date). */
  retryAfterMs: number | null;
  /** Why no answer came, for logs. */
  error?: string;
}

/** Sends one request and reports the outcome; never throws. */
export type HttpPost = (request: OutgoingRequest) => Promise<PostOutcome>;

/** Push services answer with a few bytes; a larger answer is not theirs. */
const MAX_ANSWER_BYTES = 65_536;

/**
 * A guarded POST with a per-request timeout; the answer's body is read (capped) and discarded.
 * Aborting `shutdown` ends every request in flight at once (a stopping server does not wait for a
 * hung push service). A refused address is reported like a network error: the delivery fails.
 */
export function createHttpPost(timeoutMs = 10_000, shutdown?: AbortSignal, policy: OutboundPolicy = { allowPrivateAddresses: false }): HttpPost {
  return async (request) => {
    try {
      const response = await outboundRequest(
        { url: request.url, method: "POST", headers: request.headers, body: new Uint8Array(request.body), timeoutMs, maxResponseBytes: MAX_ANSWER_BYTES, ...(shutdown ? { signal: shutdown } : {}) },
        policy,
      );
      const retryAfter = response.headers["retry-after"];
      return { status: response.status, retryAfterMs: parseRetryAfter(typeof retryAfter === "string" ? retryAfter : null) };
    } catch (error) {
      return { status: 0, retryAfterMs: null, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  };
}

function parseRetryAfter(value: string | null): number | null {
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(date - Date.now(), 0);
}
