/**
 * The one place push deliveries touch the network: a POST with a timeout that never follows
 * redirects (a registered URL must not bounce the server somewhere else). The notifier takes it
 * as a function, so tests and benchmarks can pass their own.
 */
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

/**
 * `fetch` with a per-request timeout; the response body is discarded. Aborting `shutdown` ends
 * every request in flight at once (a stopping server does not wait for a hung push service).
 */
export function createHttpPost(timeoutMs = 10_000, shutdown?: AbortSignal): HttpPost {
  return async (request) => {
    try {
      const response = await fetch(request.url, {
        method: "POST",
        headers: request.headers,
        body: new Uint8Array(request.body),
        redirect: "manual",
        signal: shutdown ? AbortSignal.any([AbortSignal.timeout(timeoutMs), shutdown]) : AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      return { status: response.status, retryAfterMs: parseRetryAfter(response.headers.get("retry-after")) };
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
