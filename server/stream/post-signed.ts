/**
 * The one place the stream talks HTTP: a signed JSON POST with a time limit and a cap on the
 * answer's size, used by webhook consumers and HTTPS sync triggers. Kept behind a function type
 * (`PostSigned`) so tests and embedders can pass their own.
 */
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

/** `PostSigned` over the global `fetch`. */
export const postSigned: PostSigned = async (request, nowMs) => {
  const response = await fetch(request.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "syncpool",
      ...request.headers,
      ...signatureHeaders(request.secret, request.body, nowMs),
    },
    body: request.body,
    redirect: "error", // a redirect would re-send the signed body somewhere the operator never named
    signal: AbortSignal.timeout(request.timeoutMs),
  });
  return { status: response.status, text: await readCapped(response, request.maxResponseBytes ?? 1_048_576) };
};

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`the answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
