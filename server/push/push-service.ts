/**
 * Push sync, assembled: the change bus, the live subscriptions (SSE through yoga, WebSocket
 * through `ws-endpoint.ts`), registered devices and their notifier. `server/create-server.ts` builds one
 * per server, hands `onCommitted` to the sync operations and `area` to the schema; `server/node.ts`
 * attaches the WebSocket endpoint to its HTTP server.
 *
 * Order on each committed change (`onCommitted`, called after the commit): publish to the bus (live
 * subscribers hear it at once), then schedule notifications (background; never awaited).
 */
import type { Server } from "node:http";
import type { YogaServerInstance } from "graphql-yoga";
import type { GraphQLContext } from "../graphql/context.js";
import type { SchemaArea } from "../graphql/schema.js";
import type { Logger } from "../logger.js";
import type { Storage } from "../storage/storage.js";
import type { CommittedChange } from "../sync/types.js";
import { createInProcessChangeBus, type ChangeBus } from "./change-bus.js";
import { ConnectionCaps } from "./connection-caps.js";
import { ConnectionLimits, type LiveTransport } from "./connection-limits.js";
import type { OutboundPolicy } from "../outbound-http.js";
import { createHttpPost, type HttpPost } from "./http-post.js";
import { createNotifier, type Notifier } from "./notifier.js";
import type { PushConfig } from "./push-config.js";
import { resolvePushSecrets, type StoredPushSecrets } from "./push-secrets.js";
import { createPushArea } from "./resolvers.js";
import { attachWebSocketEndpoint, type WebSocketEndpoint } from "./ws-endpoint.js";
// The envelop plugin the server adds to yoga's list, so that fan-out is shared (`use-shared-subscription-results.ts`).
export { useSharedSubscriptionResults } from "./use-shared-subscription-results.js";

/** What `server/create-server.ts` hands push sync; `bus` and `post` are for scale-out and tests. */
export interface PushServiceOptions {
  config: PushConfig;
  /** The VAPID keys and webhook secret from the server keys, used where the config sets none. */
  storedSecrets: StoredPushSecrets;
  storage: Storage;
  now: () => number;
  logger: Logger;
  /** Defaults to the in-process bus; scale-out buses (issue 7) are passed here. */
  bus?: ChangeBus;
  /** Defaults to `fetch` with a 10 s timeout. */
  post?: HttpPost;
  /** Proxies whose X-Forwarded-For entries name the client, for the per-address connection cap (default 0). */
  trustedProxyHops?: number;
  /** What registered endpoints may reach (default: public addresses only). */
  outbound?: OutboundPolicy;
}

/** Push sync for one server. */
export interface PushService {
  readonly bus: ChangeBus;
  readonly notifier: Notifier;
  /** The schema area: `datasetChanged`, device registration, `webPushPublicKey`. */
  readonly area: SchemaArea;
  /** The VAPID public key browsers subscribe with. */
  readonly vapidPublicKey: string;
  /** For `SyncDeps.onCommitted`: publishes and schedules notifications; never throws or blocks. */
  readonly onCommitted: (change: CommittedChange) => void;
  /** Serves graphql-ws on `httpServer` at `/graphql`. Call once. */
  attachWebSockets(httpServer: Server, yoga: YogaServerInstance<{}, GraphQLContext>): WebSocketEndpoint;
  /** Caps on live connections per address and in total, taken before a WebSocket upgrade or an SSE response. */
  readonly caps: ConnectionCaps;
  /** Live connections of `identityId` (WebSockets and SSE streams). */
  connectionCount(identityId: string): number;
  /** Live connections of every identity, per transport (for metrics). */
  connectionTotals(): Record<LiveTransport, number>;
  /**
   * Ends every live connection: WebSockets close with 1001, SSE streams end. Live connections never
   * go idle, so a server stopping must end them before waiting for its HTTP connections. Idempotent.
   */
  closeConnections(): Promise<void>;
  /** `closeConnections`, then drops pending notifications and waits for deliveries in flight. */
  close(): Promise<void>;
}

/** Builds push sync over the configured (or stored) VAPID keys and webhook secret. */
export async function createPushService(options: PushServiceOptions): Promise<PushService> {
  const { config, storage, now, logger } = options;
  const secrets = resolvePushSecrets(options.storedSecrets, config);
  const bus = options.bus ?? createInProcessChangeBus((error) => logger.error({ err: error }, "change listener failed"));
  const shutdown = new AbortController();
  const outbound = options.outbound ?? { allowPrivateAddresses: false };
  const notifier = createNotifier({ storage: storage.devices, secrets, config, post: options.post ?? createHttpPost(10_000, shutdown.signal, outbound), logger, now });
  const connections = new ConnectionLimits(config.maxConnectionsPerIdentity);
  const caps = new ConnectionCaps({
    maxConnections: config.maxConnections,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    trustedProxyHops: options.trustedProxyHops ?? 0,
  });
  // Every open live subscription, so closing can end SSE streams (WebSockets are closed by their endpoint).
  const live = new Set<{ end(): void }>();
  let webSockets: WebSocketEndpoint | undefined;

  const area = createPushArea({
    changes: { bus, storage: storage.datasets, now, live },
    devices: { storage: storage.devices, config, now, outbound },
    connections,
    maxPendingBytes: config.maxBufferedBytes,
    vapidPublicKey: secrets.vapidPublicKey,
  });

  let closingConnections: Promise<void> | undefined;
  const closeConnections = () =>
    (closingConnections ??= (async () => {
      for (const subscription of [...live]) subscription.end();
      await webSockets?.close();
    })());
  let closing: Promise<void> | undefined;

  return {
    bus,
    notifier,
    area,
    vapidPublicKey: secrets.vapidPublicKey,
    onCommitted: (change) => {
      try {
        bus.publish(change);
        notifier.notify(change);
      } catch (error) {
        logger.error({ err: error }, "push: handling a committed change failed"); // the push succeeded regardless
      }
    },
    attachWebSockets(httpServer, yoga) {
      if (webSockets) throw new Error("the WebSocket endpoint is already attached");
      webSockets = attachWebSocketEndpoint(httpServer, { yoga, connections, caps, config, logger, now });
      return webSockets;
    },
    caps,
    connectionCount: (identityId) => connections.count(identityId),
    connectionTotals: () => connections.totals(),
    closeConnections,
    close: () =>
      (closing ??= (async () => {
        await closeConnections();
        shutdown.abort(); // deliveries in flight end now; notifications are hints
        await notifier.close();
      })()),
  };
}
