/**
 * GraphQL over WebSocket (the graphql-transport-ws protocol, `graphql-ws-server.ts`) on the same
 * `/graphql` URL as HTTP, on a `ws` server attached to the Node HTTP server, where every operation
 * runs through yoga's envelop, so parsing limits, validation, error masking and request logs are
 * the same as over HTTP. What this file adds is the socket's lifecycle:
 *
 * - `connection_init` must carry `{ authorization: "Bearer <token>" }` (or `{ token }`); without a
 *   valid one the socket closes with 4401 (1013 when rate limited). The token is checked here
 *   and again, with the identity's policies and rate limits, by every operation; when it expires
 *   the socket closes with 4401 too, within a second (the client signs in again and reconnects).
 * - the upgrade itself takes a slot of the per-address and total caps (`connection-caps.ts`; HTTP 429
 *   with Retry-After when none is left, before any WebSocket exists), given back when the socket closes;
 * - one connection slot per identity is taken on init (4420 when none is left) and given back on close;
 * - at most `maxSubscriptionsPerConnection` operations at once (LIMIT_EXCEEDED for the one over);
 * - before each event, the socket's send buffer is checked (`admitSend`, 4413 when over);
 * - keep-alive: ws pings every `keepAliveMs`; a socket that does not pong in time is terminated.
 *
 * Queries and mutations run over the socket too (a client pushes over its live connection), with
 * the checks of a POST: the operation's context is built from a POST request carrying the init
 * token (yoga refuses mutations over GET), and a `subscribe` message larger than the HTTP body
 * limit is refused with the same LIMIT_EXCEEDED error (only a message of twice that closes the
 * socket, 1009, as ws's own bound). A client operation may be named by its hash, as over HTTP.
 */
import type { Server } from "node:http";
import { CloseCode } from "graphql-ws";
import { createGraphQLError, type YogaServerInstance } from "graphql-yoga";
import { decodeJwt } from "jose";
import { WebSocketServer, type WebSocket } from "ws";
import { isSyncpoolError } from "../../core/errors.js";
import type { GraphQLContext } from "../graphql/context.js";
import { clientOperationText, persistedQueryNotFound } from "../graphql/use-client-operations.js";
import { MAX_REQUEST_BODY_BYTES, tooLarge } from "../graphql/use-body-limit.js";
import type { Logger } from "../logger.js";
import type { Caller } from "../sync/types.js";
import { admitSend, dropSocket } from "./backpressure.js";
import { PUSH_CLOSE_CODES } from "./close-codes.js";
import { ConnectionCaps } from "./connection-caps.js";
import type { ConnectionLimits } from "./connection-limits.js";
import type { DropReason } from "./dataset-changes.js";
import type { PushConfig } from "./push-config.js";
import type { LiveConnection } from "./resolvers.js";
import { serveGraphqlWs } from "./graphql-ws-server.js";
import type { GraphqlWsSocket } from "./graphql-ws-socket.js";
import { socketOperationRequest } from "./socket-request.js";
import { preparedPayloadFor, takeSharedStream } from "./use-shared-subscription-results.js";

/** What the WebSocket endpoint needs: yoga (to run operations), the limits, a logger and the clock. */
export interface WebSocketEndpointDeps {
  yoga: YogaServerInstance<{}, GraphQLContext>;
  connections: ConnectionLimits;
  caps: ConnectionCaps;
  config: Pick<PushConfig, "maxSubscriptionsPerConnection" | "maxBufferedBytes" | "keepAliveMs">;
  logger: Logger;
  /** Server time, epoch ms. */
  now: () => number;
}

/** The endpoint, attached; `close()` closes every socket with 1001 (going away) and stops accepting. */
export interface WebSocketEndpoint {
  /** Open, authenticated connections. */
  connectionCount(): number;
  close(): Promise<void>;
}

/** The root value operations carry: yoga's enveloped execute and subscribe for this operation. */
type EnvelopedRoot = Pick<ReturnType<YogaServerInstance<{}, GraphQLContext>["getEnveloped"]>, "execute" | "subscribe">;

/** How often open connections are checked for an expired token: a socket closes at most this late. */
const EXPIRY_SWEEP_MS = 1000;

/**
 * One authenticated socket: what its operations and its end need, and nothing else (the caller
 * is verified again by every operation). A class because thousands sit idle at once: its methods
 * are shared, and it has no timer of its own (one sweep checks every connection's expiry).
 */
class Connection implements LiveConnection {
  constructor(
    readonly socket: WebSocket,
    /** `Authorization` header value every operation's context is built from, shared by the connections that sent the same token. */
    readonly authorization: string,
    readonly expiresAtMs: number,
    /** The identity whose connection slot this connection holds (`ConnectionLimits.take`). */
    readonly identityId: string,
    /** The reason a slow consumer's socket is closed with (one string per endpoint). */
    readonly slowConsumerReason: string,
  ) {}

  drop(reason: DropReason): void {
    if (reason === "token-expired") dropSocket(this.socket, PUSH_CLOSE_CODES.UNAUTHORIZED, "token expired: sign in again and reconnect");
    else dropSocket(this.socket, PUSH_CLOSE_CODES.SLOW_CONSUMER, this.slowConsumerReason);
  }
}

/**
 * The `Authorization` values of the open connections, one string per distinct token: a token is
 * most of what an idle connection keeps of its own (hundreds of bytes), and the devices and tabs
 * of one sign-in send the same one, each parsed into a string of its own.
 */
class SharedTokens {
  readonly #held = new Map<string, { authorization: string; connections: number }>();

  /** The shared copy of `authorization`, counted until `letGo`. */
  hold(authorization: string): string {
    const held = this.#held.get(authorization);
    if (held) {
      held.connections += 1;
      return held.authorization;
    }
    this.#held.set(authorization, { authorization, connections: 1 });
    return authorization;
  }

  /** One connection holding `authorization` closed. */
  letGo(authorization: string): void {
    const held = this.#held.get(authorization);
    if (held && --held.connections === 0) this.#held.delete(authorization);
  }
}

/** Serves GraphQL over WebSocket on `httpServer` at `/graphql`. */
export function attachWebSocketEndpoint(httpServer: Server, deps: WebSocketEndpointDeps): WebSocketEndpoint {
  const { yoga, config, logger } = deps;
  // Not attached with `server:`: ws would answer every other path's upgrade with 400, and the
  // model API's realtime WebSocket (`server/models/realtime-endpoint.ts`) shares the HTTP server.
  const wss = new WebSocketServer({
    noServer: true,
    path: "/graphql",
    // Up to the body limit a message is read and, if over it, refused as HTTP refuses the body
    // (`onSubscribe`); only far beyond does ws close the socket without reading it.
    maxPayload: 2 * MAX_REQUEST_BODY_BYTES,
    // Runs before the upgrade is answered: an over-cap client gets a plain 429, no socket.
    verifyClient: (info, accept) => {
      // Given back when the TCP socket closes, which outlives the upgrade and closes with the WebSocket.
      const refused = deps.caps.admitSocket(info.req);
      if (refused !== null) {
        const { body, headers } = ConnectionCaps.refusal(refused, deps.caps.settings);
        logger.warn({ limit: refused }, "WebSocket upgrade refused: connection cap reached");
        return accept(false, 429, body, headers);
      }
      accept(true);
    },
  });
  const open = new Set<Connection>();
  const tokens = new SharedTokens();
  const slowConsumerReason = `slow consumer: over ${config.maxBufferedBytes} bytes waiting; reconnect and resume`;
  // One timer for every connection's token expiry instead of one per connection (a timer, its
  // arguments and, as every expiry differs, a timer list each): a sweep over the open connections
  // is a comparison each, and a socket closes within EXPIRY_SWEEP_MS of its token's expiry.
  const expirySweep = setInterval(() => {
    const nowMs = deps.now();
    for (const connection of open) if (nowMs >= connection.expiresAtMs) connection.drop("token-expired");
  }, EXPIRY_SWEEP_MS);
  expirySweep.unref();

  // The client's address, for per-address rate limits: what yoga's context reads of a Node request.
  const peer = (ws: GraphqlWsSocket<Connection>) => ({ socket: { remoteAddress: ws.peerAddress } });

  const server = serveGraphqlWs<Connection>(
    {
      connect: async (ws, params) => {
        const { socket } = ws;
        const authorization = authorizationFrom(params);
        if (authorization === null) {
          dropSocket(socket, PUSH_CLOSE_CODES.UNAUTHORIZED, "unauthorized: send { authorization: 'Bearer <token>' } in connection_init");
          return false;
        }
        let caller: Caller;
        try {
          caller = await (await yoga.getEnveloped({ request: socketOperationRequest(authorization), req: peer(ws) }).contextFactory()).caller();
        } catch (error) {
          if (isSyncpoolError(error)) {
            dropSocket(socket, closeCodeFor(error.code), `${error.code === "UNAUTHENTICATED" ? "unauthorized" : "refused"}: ${error.message}`);
          } else {
            // Not the caller's fault (storage down, a bug): say so, and keep the cause in the log.
            logger.error({ err: error }, "WebSocket connection_init failed unexpectedly");
            dropSocket(socket, CloseCode.InternalServerError, "internal server error");
          }
          return false;
        }
        if (!deps.connections.take(caller.identityId, "websocket")) {
          dropSocket(socket, PUSH_CLOSE_CODES.TOO_MANY_CONNECTIONS, `too many connections for this identity (limit ${deps.connections.maxPerIdentity})`);
          return false;
        }
        const expiresAtMs = (decodeJwt(authorization.slice("Bearer ".length)).exp ?? 0) * 1000;
        const session = new Connection(socket, tokens.hold(authorization), expiresAtMs, caller.identityId, slowConsumerReason);
        open.add(session);
        return { session, ack: { identityId: caller.identityId, expiresAt: expiresAtMs } };
      },

      operation: async (ws, _id, payload, sizeBytes) => {
        const connection = ws.session;
        if (!connection) return [createGraphQLError("the connection is not authenticated", { extensions: { code: "UNAUTHENTICATED" } })];
        if (deps.now() >= connection.expiresAtMs) {
          connection.drop("token-expired");
          return [createGraphQLError("token expired: sign in again", { extensions: { code: "UNAUTHENTICATED", reason: "TOKEN_EXPIRED" } })];
        }
        if (sizeBytes > MAX_REQUEST_BODY_BYTES) return [tooLarge(MAX_REQUEST_BODY_BYTES)];
        // The protocol registered this operation before calling us, so it is counted.
        const active = ws.operationCount;
        if (active > config.maxSubscriptionsPerConnection) {
          return [
            createGraphQLError(`too many operations on this connection: ${active} exceeds the limit of ${config.maxSubscriptionsPerConnection}`, {
              extensions: { code: "LIMIT_EXCEEDED", limit: "maxSubscriptionsPerConnection", max: config.maxSubscriptionsPerConnection, actual: active },
            }),
          ];
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          request: socketOperationRequest(connection.authorization),
          req: peer(ws),
          params: payload,
          pushConnection: connection satisfies LiveConnection,
        });
        // A client operation named by hash (yoga's persisted-operations plugin sees only HTTP requests).
        const persisted = payload.query === "" ? clientOperationText(payload.extensions) : undefined;
        if (persisted === null) return [persistedQueryNotFound()];
        let document;
        try {
          document = parse(persisted ?? payload.query);
        } catch (error) {
          return [createGraphQLError((error as Error).message, { extensions: { code: "BAD_USER_INPUT" } })];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        return {
          schema,
          operationName: payload.operationName ?? null,
          document,
          variableValues: payload.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
      },

      // Runs before each result is sent: refuse to grow a send buffer that is already over the bound.
      // A result shared by every subscriber of the change goes out as its one serialized text.
      beforeNext: (ws, result) => {
        admitSend(ws.socket, config.maxBufferedBytes);
        return preparedPayloadFor(result)?.json;
      },

      closed: (ws) => {
        const connection = ws.session;
        if (!connection || !open.delete(connection)) return;
        deps.connections.give(connection.identityId, "websocket");
        tokens.letGo(connection.authorization);
      },

      // Every operation runs through yoga's envelop (masking, limits, logs) via the root value.
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      // Once the stream is open, the operation's context and enveloped functions are not needed
      // again: let them go, and keep a shared `datasetChanged` stream without envelop's wrappers,
      // which hold the context.
      subscribe: async (args) => {
        const stream = await (args.rootValue as EnvelopedRoot).subscribe(args);
        const shared = Symbol.asyncIterator in stream ? takeSharedStream(args.contextValue) : undefined;
        args.contextValue = undefined;
        args.rootValue = undefined;
        return shared ?? stream;
      },
    },
    wss,
    config.keepAliveMs,
    logger,
  );
  wss.on("error", (error) => logger.error({ err: error }, "WebSocket server error"));
  httpServer.on("upgrade", (request, socket, head) => {
    if (!wss.shouldHandle(request)) return;
    wss.handleUpgrade(request, socket, head, (webSocket) => wss.emit("connection", webSocket, request));
  });

  return {
    connectionCount: () => open.size,
    close: () => {
      clearInterval(expirySweep);
      return server.dispose() as Promise<void>;
    },
  };
}

/**
 * The close code for a refused `connection_init`: 4401 when the token is the problem (the client
 * signs in again), 1013 "try again later" when rate limited (the graphql-ws client retries it with
 * backoff), 4403 for anything else the caller caused.
 */
function closeCodeFor(code: string): number {
  if (code === "UNAUTHENTICATED") return PUSH_CLOSE_CODES.UNAUTHORIZED;
  if (code === "RATE_LIMITED") return PUSH_CLOSE_CODES.TRY_AGAIN_LATER;
  return CloseCode.Forbidden;
}

/** `Bearer <token>` from the `connection_init` payload, or null when it carries none. */
function authorizationFrom(params: Readonly<Record<string, unknown>> | undefined): string | null {
  const header = params?.["authorization"] ?? params?.["Authorization"];
  if (typeof header === "string") {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    return token ? `Bearer ${token}` : null;
  }
  const token = params?.["token"];
  return typeof token === "string" && /^\S+$/.test(token) ? `Bearer ${token}` : null;
}
