/**
 * Caps on live connections by client address and for the whole process, taken before any token is
 * read: a WebSocket counts from its HTTP upgrade to its close, an SSE request while its response
 * streams. `ConnectionLimits` bounds what one identity holds, but guests are free, so without these
 * caps one address could sign in a thousand guests and hold a thousand sockets each; and many
 * addresses together could exhaust the process's file descriptors.
 *
 * An over-cap connection is refused cleanly with HTTP 429 and `Retry-After` (the WebSocket upgrade
 * is answered that way too, before any WebSocket exists). Addresses are counted as the per-address
 * rate limits count them (`addressBucket`: IPv6 by /64, behind trusted proxies the forwarded client).
 * Counts are per server process; behind a load balancer the caps apply per instance.
 */
import type { IncomingMessage } from "node:http";
import { clientAddress } from "../client-address.js";
import { addressBucket } from "../ip-address.js";
import { ConnectionLimits, type LiveTransport } from "./connection-limits.js";

/** Seconds a refused client is told to wait: live connections end at their own pace. */
export const CONNECTION_CAP_RETRY_AFTER_SECONDS = 5;

/** Why a connection was refused, for the 429 body and the log. */
export type CapRefusal = "maxConnections" | "maxConnectionsPerAddress";

/** The settings of `ConnectionCaps`. */
export interface ConnectionCapSettings {
  /** Live connections in this process. */
  maxConnections: number;
  /** Live connections from one address (an IPv6 /64). */
  maxConnectionsPerAddress: number;
  /** Proxies whose X-Forwarded-For entries name the client (0: the socket's peer is the client). */
  trustedProxyHops: number;
}

/** Counts live connections per address and in total. */
export class ConnectionCaps {
  readonly settings: Readonly<ConnectionCapSettings>;
  readonly #perAddress: ConnectionLimits;
  readonly #onSocketClose: (this: object) => void;
  #total = 0;

  constructor(settings: ConnectionCapSettings) {
    this.settings = settings;
    this.#perAddress = new ConnectionLimits(settings.maxConnectionsPerAddress);
    // One listener for every socket; it runs with the closed socket as `this`, which an arrow would not see.
    const caps = this;
    this.#onSocketClose = function onSocketClose(this: object): void {
      caps.#socketClosed(this);
    };
  }

  /**
   * Takes a slot for the connection `request` opens: its release function (idempotent), or the cap
   * that refuses it. The caller releases when the socket or response closes.
   */
  admit(request: IncomingMessage, transport: LiveTransport): { release: () => void } | { refused: CapRefusal } {
    const taken = this.#take(request, transport);
    if (typeof taken !== "string") return taken;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.#give(taken, transport);
      },
    };
  }

  /**
   * Takes a WebSocket's slot for the upgrade `request`, given back when its TCP socket closes (the
   * socket outlives the upgrade and closes with the WebSocket, or with a failed handshake): null,
   * or the cap that refuses it. No function per socket: one listener, shared by every socket,
   * finds the slot's address by the socket (an idle connection holds it for its whole life).
   */
  admitSocket(request: IncomingMessage): CapRefusal | null {
    const taken = this.#take(request, "websocket");
    if (typeof taken !== "string") return taken.refused;
    this.#addressBySocket.set(request.socket, taken);
    request.socket.on("close", this.#onSocketClose);
    return null;
  }

  /** The address bucket of each socket holding a slot of `admitSocket`. */
  readonly #addressBySocket = new WeakMap<object, string>();

  /** Gives back the slot of `socket`, once (`admitSocket`'s listener calls it with the closed socket). */
  #socketClosed(socket: object): void {
    const address = this.#addressBySocket.get(socket);
    if (address === undefined) return;
    this.#addressBySocket.delete(socket);
    this.#give(address, "websocket");
  }

  /** The address bucket the slot was taken for, or the cap that refuses it. */
  #take(request: IncomingMessage, transport: LiveTransport): string | { refused: CapRefusal } {
    if (this.#total >= this.settings.maxConnections) return { refused: "maxConnections" };
    const forwardedFor = request.headers["x-forwarded-for"];
    const address = addressBucket(
      clientAddress(request.socket.remoteAddress, Array.isArray(forwardedFor) ? forwardedFor.join(",") : (forwardedFor ?? null), this.settings.trustedProxyHops),
    );
    if (!this.#perAddress.take(address, transport)) return { refused: "maxConnectionsPerAddress" };
    this.#total += 1;
    return address;
  }

  #give(address: string, transport: LiveTransport): void {
    this.#total -= 1;
    this.#perAddress.give(address, transport);
  }

  /** Live connections counted now. */
  get total(): number {
    return this.#total;
  }

  /** The body and headers of the 429 answer for `refusal`. */
  static refusal(refusal: CapRefusal, settings: Readonly<ConnectionCapSettings>): { body: string; headers: Record<string, string> } {
    const message =
      refusal === "maxConnections"
        ? `too many live connections on this server (limit ${settings.maxConnections}): retry later`
        : `too many live connections from this address (limit ${settings.maxConnectionsPerAddress}): close one, or retry later`;
    const body = JSON.stringify({ errors: [{ message, extensions: { code: "RATE_LIMITED", limit: refusal, retryAfterMs: CONNECTION_CAP_RETRY_AFTER_SECONDS * 1000 } }] });
    return {
      body,
      // Capitalized as `ws` writes its own defaults, so these replace them on a refused upgrade.
      headers: { "Content-Type": "application/json; charset=utf-8", "Content-Length": String(Buffer.byteLength(body)), "Retry-After": String(CONNECTION_CAP_RETRY_AFTER_SECONDS) },
    };
  }
}
