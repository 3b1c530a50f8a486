/**
 * The request an operation over a WebSocket carries into yoga's context. An operation over a
 * socket has no HTTP request of its own; what yoga and this server read of one there is the method
 * (yoga runs mutations only for a POST), the URL and the headers (`authorization`, read by the
 * context; `x-forwarded-for`, absent). A Fetch `Request` built per operation for that cost more than
 * the rest of the operation's context (undici parses the URL and builds a header list, an
 * AbortSignal and a body state each time); this object carries the same three members, with a
 * real `Headers` holding the connection's token, and nothing else (no body, no signal: yoga's
 * execution cancellation is not enabled).
 */

/** Where operations over a socket say they were sent (the endpoint's own path). */
const SOCKET_OPERATION_URL = "http://syncpool.internal/graphql";

/** A POST to the GraphQL endpoint with only `Authorization: <authorization>`, as yoga's context reads a request. */
export function socketOperationRequest(authorization: string): Request {
  const request: Pick<Request, "method" | "url" | "headers"> = { method: "POST", url: SOCKET_OPERATION_URL, headers: new Headers({ authorization }) };
  return request as Request;
}
