/**
 * The WebSocket close codes a syncpool server uses on `/graphql`, besides those graphql-ws itself
 * sends (4400 bad request, 4403 forbidden, 4406 subprotocol, 4408 init timeout, 4409 duplicate
 * subscription id, 4429 repeated init, 4500 internal). Documented in `docs/push.md`; a client
 * decides from the code whether to reconnect as it is, sign in first, or back off.
 */
export const PUSH_CLOSE_CODES = Object.freeze({
  /**
   * graphql-ws's own "Unauthorized": no token in `connection_init`, an invalid one, or the token
   * expired while connected. The graphql-ws client does not retry it: sign in, then reconnect.
   */
  UNAUTHORIZED: 4401,
  /**
   * The standard "Try Again Later": `connection_init` was refused by the identity's (or address's)
   * rate limit. The graphql-ws client retries it with its backoff.
   */
  TRY_AGAIN_LATER: 1013,
  /**
   * A slow consumer: more than `maxBufferedBytes` waited to be sent to this socket, so it was
   * dropped instead of buffering without bound. Reconnect (the client retries this code) and
   * resume each subscription with its last `sinceSyncCount`.
   */
  SLOW_CONSUMER: 4413,
  /**
   * The identity already holds `maxConnectionsPerIdentity` live connections (WebSockets and SSE
   * streams together). Close another, or share one connection between tabs.
   */
  TOO_MANY_CONNECTIONS: 4420,
});

/** How long a dropped socket may take to flush the close frame before it is cut. */
export const CLOSE_GRACE_MS = 2000;
