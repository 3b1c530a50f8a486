/**
 * `createClient` options. Only `endpoint` and `identityPoolId` are required; the rest have
 * browser defaults, and the injectable parts (IndexedDB, fetch, transport, time) let the same
 * client run in Node and in tests.
 */
import type { Limits } from "../core/types.js";
import type { LoginsSource } from "./session.js";
import type { ConflictHandler } from "./sync/resolve-conflicts.js";
import type { TabPlatform } from "./tabs/tab-coordinator.js";
import type { FetchFunction } from "./transport/graphql-transport.js";
import type { Transport } from "./transport/transport.js";
import type { UserPoolOptions } from "./user-pool-account.js";

export interface ClientOptions {
  /** The server's GraphQL endpoint, e.g. `https://sync.example.com/graphql`. */
  endpoint: string;
  /** The identity pool (the app) to sign in to. */
  identityPoolId: string;
  /** This device's id; generated once and stored when absent. */
  deviceId?: string;
  /** IndexedDB to use (default: the browser's). In Node: `new IDBFactory()` from fake-indexeddb. */
  indexedDB?: IDBFactory;
  /** IDBKeyRange matching `indexedDB` (default: the global one). In Node: fake-indexeddb's. */
  IDBKeyRange?: typeof IDBKeyRange;
  /** `fetch` for the GraphQL transport (default: the global one). */
  fetch?: FetchFunction;
  /**
   * WebSocket constructor for live updates (default: the browser's; in Node pass the `ws`
   * package's default export). See `live`.
   */
  WebSocket?: unknown;
  /**
   * Live updates: the tab leading sync holds a WebSocket subscription to the server's
   * `datasetChanged` and applies other devices' changes as they are committed, without polling.
   * Default: on when `autoSync` is on and a WebSocket is available. `true` without a WebSocket
   * throws; `false` leaves only the interval (and `notifyRemoteChange`).
   */
  live?: boolean;
  /**
   * The user pool `signUp`, `signIn({ username, password })` and the other user-pool calls go to.
   * Default: the pool `local_default` and app client `default` on this client's own server.
   */
  userPool?: UserPoolOptions;
  /** Provider logins, or a function returning fresh ones (called when the token is renewed). */
  logins?: LoginsSource;
  /** Resolves OPTIMISTIC conflicts of every dataset without its own handler. */
  onConflict?: ConflictHandler;
  /**
   * Limits local writes are checked against. Default: the pool's limits, learned from every
   * sign-in answer (the server's defaults until the first one). A value set here lower than the
   * pool's stays, so an app may be stricter than its server, never looser.
   */
  limits?: Partial<Limits>;
  /** Replaces the GraphQL transport (tests, custom protocols). */
  transport?: Transport;
  /** Sync in the background after sign-in (default true). `client.sync()` works either way. */
  autoSync?: boolean;
  /** Quiet time after a write before syncing. Default 300 ms. */
  debounceMs?: number;
  /** Longest a write waits for sync while writes keep coming. Default 3 s. */
  debounceMaxWaitMs?: number;
  /** A full background sync this often; 0 turns it off. Default 60 s (a fallback with live updates). */
  intervalMs?: number;
  /** Retry delays after a failed sync. Default 1 s doubling to 60 s, with jitter. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Records per pulled page (the server allows 1 to 1000). Default 1000: a full dataset in one or two requests. */
  pageSize?: number;
  /** A request taking longer fails and is retried. Default 30 s. */
  requestTimeoutMs?: number;
  /**
   * The primitives clients sharing the database coordinate with (Web Locks, BroadcastChannel, the
   * lease length). Default: the browser's, or in-realm ones shared by the clients given the same
   * `indexedDB`. Without `locks`, the clients elect a leader by a lease in the database.
   */
  tabs?: TabPlatform;
  /** Wall clock, epoch ms (tests). Default `Date.now`. */
  now?: () => number;
  /** Uniform random in [0, 1) for backoff jitter (tests). Default `Math.random`. */
  random?: () => number;
}
