/**
 * The live side of the transport: one graphql-ws connection carrying two `datasetChanged`
 * subscriptions, all datasets of the identity and (`shared: true`) every shared dataset it may
 * read, whose events arrive under their local names (`shared/<name>`, `shared-name.ts`). The only
 * client code that touches a WebSocket.
 * It hands each event to `onChange` and says when a (re)connection is acknowledged, so the caller
 * can catch up on what it missed while disconnected. What the events mean is the caller's business
 * (`sync/live-changes.ts`); this file only keeps the connection up (docs/push.md, close codes):
 *
 * - the token travels in `connection_init`, read afresh on every connection attempt;
 * - 4401 (token refused or expired): `renewToken()` (a silent sign-in), then reconnect at once;
 * - 4413, 1006, 1001 and other drops: reconnect after the client's backoff (about `baseMs` first);
 * - 4420 (too many connections) and 1013 (rate limited): the same, from a four times longer delay;
 * - anything else that ends the subscription (a GraphQL error, a fatal code): subscribe again
 *   after the backoff. Errors go to `onError`; nothing is thrown into the void.
 * A platform `online` event (`wake()`) cuts a pending wait short.
 * While the socket is open it also carries this client's pushes (`socket-push.ts`). Every
 * operation on it is named by hash (`schema/client-operations.ts`); a subscription whose hash the
 * server refuses subscribes again at once with its text.
 */
import type { GraphQLFormattedError } from "graphql";
import { createClient, type Client } from "graphql-ws/client";
import { SyncpoolError } from "../../core/errors.js";
import type { SyncRecord } from "../../core/types.js";
import { CLIENT_OPERATIONS, type ClientOperation } from "../../schema/client-operations.js";
import { backoffDelayMs, type BackoffOptions } from "../sync/backoff.js";
import { NetworkError } from "./network-error.js";
import { hashRefusal, persistedOperations } from "./persisted-operations.js";
import { sharedLocalName } from "./shared-name.js";
import { SocketPushes, type PushChannel } from "./socket-push.js";

/** One `datasetChanged` event (see docs/push.md, "The event"). */
export interface DatasetChange {
  dataset: string;
  syncCount: number;
  deviceId: string | null;
  mutationId: string | null;
  deleted: boolean;
  behind: boolean;
  /** The changed records when small, else null: pull instead. */
  records: SyncRecord[] | null;
}

/** A WebSocket constructor: the browser's, or `ws` in Node. */
export type WebSocketConstructor = unknown;

export interface LiveSubscriptionOptions {
  /** The GraphQL HTTP endpoint; the socket goes to the same URL over ws(s). */
  endpoint: string;
  WebSocket: WebSocketConstructor;
  /** The current bearer token (renewed when near expiry). */
  token(): Promise<string>;
  /** Drops the token the server refused and gets a new one (a silent sign-in). */
  renewToken(): Promise<string>;
  onChange(change: DatasetChange): void;
  /** A connection was acknowledged (the first one, and every reconnection). */
  onConnected(): void;
  /** Why the subscription stopped for a while; it comes back by itself. */
  onError(error: unknown): void;
  backoff: BackoffOptions;
  /** A push over the socket unanswered this long goes by HTTP instead. */
  pushTimeoutMs: number;
}

/** A running subscription; `push` sends a push over its socket while that is open. */
export interface LiveSubscription extends PushChannel {
  /** Reconnects now if waiting to (the platform came online). */
  wake(): void;
  /** Closes the connection for good. */
  stop(): void;
}

/** Own datasets, and shared datasets: each its own subscription, restarted on its own. */
const DATASET_CHANGED = [CLIENT_OPERATIONS.datasetChanged, CLIENT_OPERATIONS.sharedDatasetChanged] as const;

/** Close codes after which reconnecting at once would only be refused again. */
const BACK_OFF_CODES = new Set([4420, 1013]);
const UNAUTHORIZED = 4401;

/** The WebSocket URL of an HTTP GraphQL endpoint. */
export function webSocketUrl(endpoint: string): string {
  return endpoint.replace(/^http(s?):/i, "ws$1:");
}

/** The browser's WebSocket, when there is one. */
export function platformWebSocket(): WebSocketConstructor | undefined {
  return (globalThis as { WebSocket?: unknown }).WebSocket;
}

/** Connects and subscribes (see the module comment). */
export function subscribeToDatasetChanges(options: LiveSubscriptionOptions): LiveSubscription {
  let stopped = false;
  let attempt = 0;
  let lastCloseCode: number | null = null;
  let wakeUp: (() => void) | null = null;
  const unsubscribes = new Map<ClientOperation, () => void>();
  const persisted = persistedOperations();
  // Assigned before the client can report anything: graphql-ws connects asynchronously.
  let pushes: SocketPushes | null = null;

  /** Waits the backoff for `retry` (1-based), or less when woken or stopped. */
  const wait = (retry: number) =>
    new Promise<void>((resolve) => {
      const extra = lastCloseCode !== null && BACK_OFF_CODES.has(lastCloseCode) ? 2 : 0;
      const timer = setTimeout(done, backoffDelayMs(retry + extra, options.backoff));
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });

  const client: Client = createClient({
    url: webSocketUrl(options.endpoint),
    webSocketImpl: options.WebSocket,
    lazy: true,
    connectionParams: async () => ({ authorization: `Bearer ${await options.token()}` }),
    // graphql-ws retries what it deems retryable (drops, 4413, 4420, 1013...); it gives up on
    // 4401 and other fatal codes, which end the subscription and are handled in `restart`.
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => !stopped,
    retryWait: (retries) => wait(retries + 1),
    on: {
      connected: () => {
        attempt = 0;
        lastCloseCode = null;
        pushes?.connected();
        options.onConnected();
      },
      closed: (event) => {
        const code = (event as { code?: unknown } | undefined)?.code;
        lastCloseCode = typeof code === "number" ? code : null;
        pushes?.closed(lastCloseCode);
      },
    },
  });
  pushes = new SocketPushes(client, options.pushTimeoutMs, persisted);

  const subscribe = (operation: ClientOperation) => {
    if (stopped) return;
    const shared = operation === CLIENT_OPERATIONS.sharedDatasetChanged;
    const byHash = persisted.byHash(operation);
    // graphql-ws requires a query string: empty when the hash names the operation.
    const unsubscribe = client.subscribe<{ datasetChanged: DatasetChange }>(
      { query: "", ...persisted.request(operation) },
      {
        next: (result) => {
          const change = result.data?.datasetChanged;
          if (change) options.onChange(shared ? { ...change, dataset: sharedLocalName(change.dataset) } : change);
          else if (result.errors?.length) options.onError(toError(result.errors));
        },
        error: (error) => {
          const refusal = byHash && Array.isArray(error) && error.length > 0 ? hashRefusal(error[0] as GraphQLFormattedError) : null;
          if (refusal === null) return void restart(operation, error);
          persisted.refused(operation, refusal);
          subscribe(operation);
        },
        // The server never ends the subscription on its own: treat it as a drop.
        complete: () => void restart(operation, null),
      },
    );
    unsubscribes.set(operation, unsubscribe);
  };

  // Both subscriptions share the socket, so one close ends both: they recover together, once
  // (one error reported, one silent sign-in), and subscribe again together.
  const ended = new Set<ClientOperation>();
  let recovering = false;
  const restart = (operation: ClientOperation, error: unknown) => {
    unsubscribes.delete(operation);
    ended.add(operation);
    if (stopped || recovering) return;
    recovering = true;
    void recover(error).then((again) => {
      recovering = false;
      if (!again || stopped) return;
      const operations = [...ended];
      ended.clear();
      for (const each of operations) subscribe(each);
    });
  };

  /** Waits out (or cures) what ended the subscriptions; false when it will not get better by retrying. */
  const recover = async (error: unknown): Promise<boolean> => {
    if (error !== null) options.onError(describe(error));
    if (isUnauthorized(error)) {
      attempt += 1;
      // A new token refused again at once (a clock far off, say) must not spin: back off then.
      if (attempt > 1) await wait(attempt - 1);
      try {
        await options.renewToken();
        return true;
      } catch (renewError) {
        options.onError(renewError);
        // A verdict (the identity was merged or disabled) will not change by retrying: the
        // sync loop reports it too, and the app signs in again.
        if (renewError instanceof SyncpoolError) return false;
      }
    }
    attempt += 1;
    await wait(attempt);
    return true;
  };

  for (const operation of DATASET_CHANGED) subscribe(operation);
  return {
    push: (input) => (stopped ? null : (pushes?.push(input) ?? null)),
    wake: () => wakeUp?.(),
    stop: () => {
      if (stopped) return;
      stopped = true;
      wakeUp?.();
      for (const unsubscribe of unsubscribes.values()) unsubscribe();
      // While graphql-ws waits to reconnect, disposing makes its pending connect reject with
      // {code: 1000, reason: "All Subscriptions Gone"}: an expected end, and unhandled it would end
      // a Node process.
      Promise.resolve(client.dispose()).catch(() => undefined);
    },
  };
}

function closeCode(error: unknown): number | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : null;
}

/** A 4401 close, or an UNAUTHENTICATED error on the subscription (token expired). */
function isUnauthorized(error: unknown): boolean {
  if (Array.isArray(error)) return error.some((item) => (item as GraphQLFormattedError).extensions?.["code"] === "UNAUTHENTICATED");
  return closeCode(error) === UNAUTHORIZED;
}

/** What ended the subscription, as an Error for `onError`. */
function describe(error: unknown): Error {
  if (Array.isArray(error)) return toError(error as GraphQLFormattedError[]);
  const code = closeCode(error);
  if (code !== null) {
    const reason = (error as { reason?: unknown }).reason;
    return new NetworkError(`live updates closed (${code}): ${typeof reason === "string" && reason !== "" ? reason : "no reason given"}`);
  }
  return error instanceof Error ? error : new NetworkError(`live updates failed: ${String(error)}`);
}

/** GraphQL errors on the subscription (FORBIDDEN, LIMIT_EXCEEDED...), as one Error. */
function toError(errors: readonly GraphQLFormattedError[]): Error {
  return new Error(`live updates: ${errors.map((error) => error.message).join("; ")}`);
}
