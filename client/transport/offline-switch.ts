/**
 * A network switch for app developers' tests: `fetch` and `WebSocket` wrappers that go offline
 * and back together, and tell the clients attached to them (`client.setOnline`). Offline, every
 * request rejects as a browser's `fetch` does without a network (a `TypeError`), open sockets are
 * dropped and new ones fail before they connect; online, both pass through to the real ones.
 *
 *   const network = createOfflineSwitch({ WebSocket: ws });   // Node: the `ws` package
 *   const client = createClient({ endpoint, identityPoolId, fetch: network.fetch, WebSocket: network.WebSocket });
 *   network.attach(client);
 *   network.goOffline();  // ... write offline ...
 *   network.goOnline();   // the client syncs at once
 */
import type { FetchFunction } from "./graphql-transport.js";

/** The part of a WebSocket the switch uses (the browser's and `ws` both have it). */
interface SwitchableSocket {
  close(code?: number, reason?: string): void;
  terminate?(): void;
  addEventListener(type: "close", listener: () => void): void;
}

type SocketConstructor = new (url: string | URL, protocols?: string | string[]) => SwitchableSocket;

/** Something told about the switch: a `SyncClient`. */
export interface OnlineTarget {
  setOnline(online: boolean): void;
}

export interface OfflineSwitchOptions {
  /** The real fetch (default: the global one). */
  fetch?: FetchFunction;
  /** The real WebSocket constructor (default: the global one; in Node pass the `ws` package). */
  WebSocket?: unknown;
}

/** See the module comment. */
export interface OfflineSwitch {
  /** Pass as the client's `fetch`. */
  readonly fetch: FetchFunction;
  /** Pass as the client's `WebSocket` (undefined when there is no real one to wrap). */
  readonly WebSocket: unknown;
  /** True while offline. */
  readonly offline: boolean;
  /** Tells `client` of every switch from now on (and of the current state if offline); returns the function that stops. */
  attach(client: OnlineTarget): () => void;
  /** Fails requests, drops open sockets, and tells attached clients. */
  goOffline(): void;
  /** Lets requests and sockets through again, and tells attached clients (they sync at once). */
  goOnline(): void;
}

/** Creates a switch, online. */
export function createOfflineSwitch(options: OfflineSwitchOptions = {}): OfflineSwitch {
  let offline = false;
  const clients = new Set<OnlineTarget>();
  const sockets = new Set<SwitchableSocket>();
  const realFetch: FetchFunction = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const RealSocket = (options.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket) as SocketConstructor | undefined;

  const drop = (socket: SwitchableSocket) => {
    // `ws` can drop a socket as a lost network does (close code 1006); a browser socket can only close.
    if (typeof socket.terminate === "function") socket.terminate();
    else socket.close(1000, "offline");
  };

  const SwitchedSocket = RealSocket
    ? class SwitchedWebSocket extends RealSocket {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          if (offline) {
            // Failing before the handshake completes is what a missing network looks like to
            // the caller (an error, then a close).
            drop(this);
            return;
          }
          sockets.add(this);
          this.addEventListener("close", () => sockets.delete(this));
        }
      }
    : undefined;

  const tell = (online: boolean) => {
    for (const client of clients) client.setOnline(online);
  };

  return {
    fetch: async (url, init) => {
      if (offline) throw new TypeError("fetch failed: offline (test switch)");
      return realFetch(url, init);
    },
    WebSocket: SwitchedSocket,
    get offline() {
      return offline;
    },
    attach(client) {
      clients.add(client);
      if (offline) client.setOnline(false);
      return () => clients.delete(client);
    },
    goOffline() {
      if (offline) return;
      offline = true;
      for (const socket of [...sockets]) drop(socket);
      sockets.clear();
      tell(false);
    },
    goOnline() {
      if (!offline) return;
      offline = false;
      tell(true);
    },
  };
}
