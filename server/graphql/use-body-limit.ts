/**
 * The request body limit. A body larger than `maxBytes` is refused with HTTP 413 and
 * LIMIT_EXCEEDED before it is parsed: by its Content-Length when it declares one (the HTTP parser
 * reads no more than that), else while it streams in (chunked uploads), so a large body is never
 * held in memory. In-process callers (`server.fetch`) are the embedding app, trusted to declare
 * the length of what they send.
 *
 * Replaces yoga's built-in limit (set `maxRequestBodySize: false` beside it) for one reason: a
 * message that says what the limit is, with our error code.
 */
import type { GraphQLError } from "graphql";
import { createGraphQLError, type FetchAPI, type Plugin } from "graphql-yoga";

/** About 2 MB: a full 1 MB dataset pushed as JSON-escaped strings still fits. */
export const MAX_REQUEST_BODY_BYTES = 2 * 1024 * 1024;

/** LIMIT_EXCEEDED for a body (or a WebSocket message) over `maxBytes`, with HTTP status 413. */
export function tooLarge(maxBytes: number): GraphQLError {
  return createGraphQLError(`Request body too large: the limit is ${maxBytes} bytes`, {
    extensions: { code: "LIMIT_EXCEEDED", limit: "maxRequestBodyBytes", max: maxBytes, http: { status: 413 } },
  });
}

/** Must come after the request parsers (yoga registers its own first), so it wraps the chosen one. */
export function useBodyLimit(maxBytes: number = MAX_REQUEST_BODY_BYTES): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get("content-length");
      const declaresLength = declared !== null && /^\d+$/.test(declared);
      if (declaresLength && Number(declared) > maxBytes) throw tooLarge(maxBytes);
      // A declared length within the limit is the body's length: Node's HTTP parser delivers exactly
      // that many bytes. Only a body without one (chunked) is counted as it streams in; wrapping every
      // body in a counting stream cost each push a stream pipeline and its teardown.
      if (declaresLength || !requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((original) => parse(limited(original, maxBytes, fetchAPI)));
    },
  };
}

/** The same request with a body that errors as soon as more than `maxBytes` have arrived. */
function limited(request: Request, maxBytes: number, fetchAPI: FetchAPI): Request {
  let received = 0;
  // A native body stream needs the native TransformStream; yoga's ponyfill body needs the ponyfill.
  const Transform = request.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  const body = request.body!.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength;
        if (received > maxBytes) controller.error(tooLarge(maxBytes));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body,
    duplex: "half",
  } as RequestInit);
}
