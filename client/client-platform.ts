/**
 * What a client runs on, read once from its options: the IndexedDB it stores in, how tabs sharing
 * that database coordinate, the WebSocket for live updates, and the transport to the server.
 */
import { SyncpoolError } from "../core/errors.js";
import type { Limits } from "../core/types.js";
import type { ClientOptions } from "./options.js";
import type { IndexedDbDependencies } from "./store/identity-db.js";
import { sameRealmTabs } from "./tabs/same-realm-tabs.js";
import { platformTabs, type TabPlatform } from "./tabs/tab-coordinator.js";
import { createGraphqlTransport, DEFAULT_REQUEST_TIMEOUT_MS } from "./transport/graphql-transport.js";
import { platformWebSocket, type WebSocketConstructor } from "./transport/subscription.js";
import type { Transport } from "./transport/transport.js";

/** The platform parts of one client. */
export interface ClientPlatform {
  /** An injected IndexedDB (Node, tests), or empty for the browser's own. */
  indexedDb: IndexedDbDependencies;
  /**
   * How clients sharing the database coordinate: the browser's tab primitives for its own
   * IndexedDB; for an injected one, in-realm primitives shared by every client of that factory.
   */
  tabPlatform: TabPlatform;
  /** The WebSocket for live updates; null when they are off. */
  webSocket: WebSocketConstructor | null;
  /** The app's transport, or GraphQL over `fetch` to `options.endpoint`. */
  transport: Transport;
  /**
   * Pushes go over the live socket while it is open: only with the built-in transport, since an
   * app's own transport decides itself how its pushes travel.
   */
  pushOverSocket: boolean;
  /** A request (or a push over the socket) taking longer fails and is retried (HTTP for a push). */
  requestTimeoutMs: number;
}

/**
 * Reads the platform parts from `options`.
 * @throws SyncpoolError BAD_USER_INPUT (field `WebSocket`) for `live: true` where no WebSocket exists.
 */
export function resolvePlatform(options: ClientOptions): ClientPlatform {
  const indexedDb: IndexedDbDependencies = {
    ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
    ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
  };
  const webSocket = options.WebSocket ?? platformWebSocket() ?? null;
  if (options.live === true && !webSocket) {
    throw new SyncpoolError("BAD_USER_INPUT", "live: true needs a WebSocket (pass the `ws` package in Node)", { field: "WebSocket" });
  }
  return {
    indexedDb,
    tabPlatform: options.tabs ?? (options.indexedDB ? sameRealmTabs(options.indexedDB) : platformTabs()),
    webSocket: (options.live ?? options.autoSync ?? true) ? webSocket : null,
    transport:
      options.transport ??
      createGraphqlTransport({
        endpoint: options.endpoint,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      }),
    pushOverSocket: options.transport === undefined,
    requestTimeoutMs: options.requestTimeoutMs || DEFAULT_REQUEST_TIMEOUT_MS,
  };
}

/**
 * The pool's limits, from a sign-in answer, written into `limits` (the object is shared with the
 * write path, so it is updated in place); a limit the app set lower in `own` stays, so an app may
 * be stricter than its server, never looser.
 */
export function learnLimits(limits: Limits, server: Limits, own: Partial<Limits>): void {
  for (const name of Object.keys(limits) as (keyof Limits)[]) {
    const value = server[name];
    if (typeof value !== "number") continue;
    limits[name] = Math.min(value, own[name] ?? Number.POSITIVE_INFINITY);
  }
}
