/**
 * Serves the graphql-transport-ws protocol (`graphql-ws-socket.ts`) on a `ws` server's connections:
 * the same listener functions on every socket (they find the socket's state by `this`), one
 * keep-alive timer for every socket, and of the upgrade request only the peer's address.
 */
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, handleProtocols } from "graphql-ws";
import type { IncomingMessage } from "node:http";
import type { WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../logger.js";
import { GraphqlWsSocket, type Endpoint, type GraphqlWsHooks } from "./graphql-ws-socket.js";

const states = new WeakMap<WebSocket, GraphqlWsSocket<unknown>>();
/** Sockets pinged by the last keep-alive tick and not heard from since. */
const awaitingPong = new WeakSet<WebSocket>();

// Shared listeners: `ws` calls them with the socket as `this`, so no socket holds closures of its own.
function onMessage(this: WebSocket, data: Buffer): void {
  states.get(this)?.received(data);
}
function onPong(this: WebSocket): void {
  awaitingPong.delete(this);
}
function onError(this: WebSocket, error: Error): void {
  const state = states.get(this);
  // The first error is logged and closes the socket; later ones (while it closes) say nothing new.
  if (!state || state.failed) return;
  state.failed = true;
  state.endpoint.logger.error({ err: error }, "WebSocket socket error");
  this.close(CloseCode.InternalServerError, "Internal server error");
}
function onClose(this: WebSocket): void {
  awaitingPong.delete(this);
  const state = states.get(this);
  states.delete(this);
  state?.onClosed().catch((error: unknown) => state.endpoint.logger.error({ err: error }, "graphql-ws close handling failed"));
}

/**
 * Serves the protocol on `wss`'s connections. Keep-alive: one timer for every socket; each tick
 * terminates the sockets that did not answer the previous tick's ping, then pings the rest.
 * `dispose()` closes every socket with 1001 (going away) and the server.
 */
export function serveGraphqlWs<Session>(hooks: GraphqlWsHooks<Session>, wss: WebSocketServer, keepAliveMs: number, logger: Logger): { dispose(): Promise<void> } {
  const endpoint: Endpoint<Session> = { hooks, logger };
  wss.options.handleProtocols = handleProtocols;
  const keepAlive =
    keepAliveMs > 0 && Number.isFinite(keepAliveMs)
      ? setInterval(() => {
          for (const socket of wss.clients) {
            if (socket.readyState !== socket.OPEN) continue;
            if (awaitingPong.has(socket)) {
              socket.terminate();
              continue;
            }
            awaitingPong.add(socket);
            socket.ping();
          }
        }, keepAliveMs)
      : null;
  keepAlive?.unref();

  wss.on("connection", (socket: WebSocket, request: IncomingMessage) => {
    socket.on("error", onError);
    if (socket.protocol !== GRAPHQL_TRANSPORT_WS_PROTOCOL) {
      socket.close(CloseCode.SubprotocolNotAcceptable, "Subprotocol not acceptable");
      return;
    }
    states.set(socket, new GraphqlWsSocket(socket, request.socket.remoteAddress, endpoint) as GraphqlWsSocket<unknown>);
    socket.on("message", onMessage);
    socket.on("pong", onPong);
    socket.on("close", onClose);
  });

  return {
    dispose: async () => {
      if (keepAlive) clearInterval(keepAlive);
      for (const client of wss.clients) client.close(1001, "Going away");
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
