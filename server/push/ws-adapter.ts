/**
 * graphql-ws's server (`makeServer`) on `ws` sockets: what `graphql-ws/use/ws` does, written for
 * many mostly idle connections and for fan-out.
 *
 * - One keep-alive timer for every socket, not one interval (and its closures) per socket: each
 *   tick terminates the sockets that did not answer the previous tick's ping, then pings the rest.
 *   A socket that does not pong within `keepAliveMs` is therefore terminated, as before.
 * - Per socket, one small object with its methods on the prototype instead of a set of closures,
 *   and the same listener functions on every socket (they find the socket's object by `this`).
 * - Of the upgrade request only the peer's address is kept (`SocketExtra`).
 * - A `next` frame whose payload is a `PreparedPayload` gets that payload's text spliced in: the
 *   payload was serialized once for every subscriber of the change (`use-shared-subscription-results.ts`),
 *   and only the frame around it (`{"id":…,"type":"next","payload":…}`) is built per subscriber.
 */
import type { IncomingMessage } from "node:http";
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from "graphql-ws";
import type { WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../logger.js";
import { PREPARED_PLACEHOLDER, takePreparedText } from "./use-shared-subscription-results.js";

/**
 * What graphql-ws's hooks see as `ctx.extra`: the socket, and of its upgrade request the one part
 * operations read (the peer's address, for per-address rate limits). Not the request itself: it
 * would stay alive, headers and all, for as long as the socket is open.
 */
export interface SocketExtra {
  socket: WebSocket;
  request: { socket: { remoteAddress: string | undefined } };
}

/** The end of a frame whose payload is the placeholder. */
const PREPARED_TAIL = `"payload":${JSON.stringify(PREPARED_PLACEHOLDER)}}`;

/** graphql-ws's view of one socket. */
class AdaptedSocket {
  #onMessage: ((data: string) => Promise<void>) | null = null;
  /** Set once the socket reported an error (it is closing). */
  failed = false;
  /** What graphql-ws runs when the socket closes. */
  closed: ((code?: number, reason?: string) => Promise<void>) | null = null;

  constructor(
    readonly socket: WebSocket,
    readonly logger: Logger,
  ) {}

  get protocol(): string {
    return this.socket.protocol;
  }

  send(data: string): Promise<void> {
    const prepared = takePreparedText();
    // Only a frame stringified with a prepared payload ends with the placeholder.
    const frame = prepared !== null && data.endsWith(PREPARED_TAIL) ? `${data.slice(0, -PREPARED_TAIL.length)}"payload":${prepared}}` : data;
    const { socket } = this;
    if (socket.readyState !== socket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => socket.send(frame, (error) => (error ? reject(error) : resolve())));
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  onMessage(handler: (data: string) => Promise<void>): void {
    this.#onMessage = handler;
  }

  /** A message from the client; a failure in the protocol handler closes the socket with 1011. */
  received(data: unknown): void {
    this.#onMessage?.(String(data)).catch((error: unknown) => {
      this.logger.error({ err: error }, "graphql-ws message handling failed");
      this.socket.close(CloseCode.InternalServerError, "Internal server error");
    });
  }
}

const adapted = new WeakMap<WebSocket, AdaptedSocket>();
/** Sockets pinged by the last keep-alive tick and not heard from since. */
const awaitingPong = new WeakSet<WebSocket>();

// Shared listeners: `ws` calls them with the socket as `this`, so no socket holds closures of its own.
function onMessage(this: WebSocket, data: unknown): void {
  adapted.get(this)?.received(data);
}
function onPong(this: WebSocket): void {
  awaitingPong.delete(this);
}
function onError(this: WebSocket, error: Error): void {
  const adapter = adapted.get(this);
  // The first error is logged and closes the socket; later ones (while it closes) say nothing new.
  if (!adapter || adapter.failed) return;
  adapter.failed = true;
  adapter.logger.error({ err: error }, "WebSocket socket error");
  this.close(CloseCode.InternalServerError, "Internal server error");
}
function onClose(this: WebSocket, code: number, reason: Buffer): void {
  awaitingPong.delete(this);
  const adapter = adapted.get(this);
  adapted.delete(this);
  void adapter?.closed?.(code, String(reason));
}

/**
 * Serves graphql-ws on `wss`'s connections (as `useServer` does); `dispose()` closes every socket
 * with 1001 (going away) and the server.
 */
export function serveGraphqlWs<Params extends Record<string, unknown>>(
  options: ServerOptions<Params, SocketExtra>,
  wss: WebSocketServer,
  keepAliveMs: number,
  logger: Logger,
): { dispose(): Promise<void> } {
  const server = makeServer<Params, SocketExtra>(options);
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
    const adapter = new AdaptedSocket(socket, logger);
    adapted.set(socket, adapter);
    adapter.closed = server.opened(adapter, { socket, request: { socket: { remoteAddress: request.socket.remoteAddress } } });
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
