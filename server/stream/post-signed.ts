/**
 * The one place the stream talks HTTP: a signed JSON POST with a time limit and a cap on the
 * answer's size, used by webhook consumers and HTTPS sync triggers. Kept behind a function type
 * (`PostSigned`) so tests and embedders can pass their own.
 */
import { outboundRequest, type OutboundPolicy } from "../outbound-http.js";
import { signatureHeaders } from "./signature.js";

/** A request to sign and send. */
export interface SignedPostRequest {
  url: string;
  secret: string;
  /** The JSON text to send; the signature covers exactly these bytes. */
  body: string;
  timeoutMs: number;
  /** Extra headers (event ids and the like). */
  headers?: Record<string, string>;
  /** Larger answers are refused. Default 1 MB. */
  maxResponseBytes?: number;
}

/** What the receiver answered. */
export interface SignedPostResponse {
  status: number;
  text: string;
}

/**
 * Sends a signed POST. Resolves with any HTTP answer (the caller judges the status); rejects on a
 * network failure, on the time limit (an error named `TimeoutError`), or on an oversized answer.
 */
export type PostSigned = (request: SignedPostRequest, nowMs: number) => Promise<SignedPostResponse>;

/**
 * `PostSigned` under the outbound guard (`server/outbound-http.ts`): public addresses only unless
 * `policy` allows private ones, the checked address is the one connected to, the answer is read
 * up to its cap. A redirect is never followed (it would re-send the signed body somewhere the
 * operator never named): a 3xx answer is an error.
 */
export function createPostSigned(policy: OutboundPolicy): PostSigned {
  return async (request, nowMs) => {
    const response = await outboundRequest(
      {
        url: request.url,
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "syncpool",
          ...request.headers,
          ...signatureHeaders(request.secret, request.body, nowMs),
        },
        body: request.body,
        timeoutMs: request.timeoutMs,
        maxResponseBytes: request.maxResponseBytes ?? 1_048_576,
      },
      policy,
    );
    if (response.status >= 300 && response.status < 400) throw new Error(`redirected (${response.status}); redirects are not followed`);
    return { status: response.status, text: response.body.toString("utf8") };
  };
}
