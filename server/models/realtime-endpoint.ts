/**
 * The model API's realtime WebSocket, `/appsync/<identityPoolId>/graphql/realtime`: where
 * aws-amplify opens its subscriptions for an endpoint `…/appsync/<pool>/graphql` (it appends
 * `/realtime` and always says `wss://`, so a deployment terminates TLS in front of syncpool as for
 * HTTP). This file takes upgrades for that path from the Node server (`server/node.ts` routes
 * upgrades by path), selects the `graphql-ws` subprotocol (never the `header-…` one the client
 * also offers), and hands each socket to `realtime-connection.ts` with its pool's models.
 *
 * An upgrade takes a slot of the live-connection caps (per address and in total), as the
 * `/graphql` WebSocket does; a path naming no pool with models is answered 404 before any socket.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { createSchema } from "graphql-yoga";
import { WebSocketServer, type WebSocket } from "ws";
import type { PoolRegistry } from "../identity/pools.js";
import type { PoolSettings } from "../identity/pool-settings.js";
import type { Logger } from "../logger.js";
import type { ChangeBus } from "../push/change-bus.js";
import { ConnectionCaps } from "../push/connection-caps.js";
import type { PushConfig } from "../push/push-config.js";
import type { SyncDeps } from "../sync/types.js";
import { appsyncTypeDefs } from "./appsync-type-defs.js";
import { awsScalarResolvers } from "./aws-scalars.js";
import { createLoginTokenIdentity, type LoginTokenDeps } from "./login-token-identity.js";
import type { PrincipalDeps } from "./model-auth.js";
import { parseAppModels } from "./model-schema.js";
import { authHeadersOfUpgrade } from "./realtime-auth.js";
import { serveRealtimeConnection } from "./realtime-connection.js";
import { REALTIME_SUBPROTOCOL } from "./realtime-protocol.js";
import { subscriptionFieldsOf, type RealtimeModels } from "./realtime-subscription.js";

const PATH = /^\/appsync\/([^/]+)\/graphql\/realtime$/;

/** Subscriptions one connection may hold: DataStore opens three per model. */
export const MAX_REALTIME_SUBSCRIPTIONS = 300;
/** How long a socket may stay open before `connection_init` (aws-amplify sends it at once). */
export const REALTIME_INIT_TIMEOUT_MS = 15_000;
/** Largest client frame read; a `start` is a small GraphQL document. */
const MAX_FRAME_BYTES = 256 * 1024;

/** What the realtime endpoint needs from the server. */
export interface AppsyncRealtimeDeps {
  pools: PoolRegistry;
  sync: SyncDeps;
  verifyToken: PrincipalDeps["verifyToken"];
  /** Sign-in's dependencies: a login token reaches the identity a sign-in with it would, as on the HTTP API. */
  identity: LoginTokenDeps["identity"];
  /** The built-in user pools' access-token check (DataStore's `userPool` mode sends the access token). */
  verifyUserPoolAccessToken: LoginTokenDeps["verifyUserPoolAccessToken"];
  bus: ChangeBus;
  caps: ConnectionCaps;
  config: Pick<PushConfig, "keepAliveMs" | "maxBufferedBytes">;
  logger: Logger;
}

/** The realtime endpoint: the Node server hands it the upgrades whose path it `handles`. */
export interface AppsyncRealtime {
  handles(path: string): boolean;
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Open sockets (for tests and metrics). */
  connectionCount(): number;
  /** Closes every socket with 1001 (going away). */
  close(): Promise<void>;
}

/** Builds the realtime endpoint of every pool's model API. */
export function createAppsyncRealtime(deps: AppsyncRealtimeDeps): AppsyncRealtime {
  const { logger } = deps;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (offered) => (offered.has(REALTIME_SUBPROTOCOL) ? REALTIME_SUBPROTOCOL : false),
  });
  wss.on("error", (error) => logger.error({ err: error }, "realtime WebSocket server error"));
  const built = new Map<string, { models: PoolSettings["models"]; realtime: RealtimeModels }>();
  const modelsOf = (pool: PoolSettings | null): RealtimeModels | null => {
    if (!pool?.models) return null;
    const cached = built.get(pool.id);
    if (cached && cached.models === pool.models) return cached.realtime;
    const app = parseAppModels(pool.models.schema);
    const schema = createSchema({ typeDefs: appsyncTypeDefs(app), resolvers: [awsScalarResolvers] });
    const realtime = { poolId: pool.id, schema, fields: subscriptionFieldsOf(app.models) };
    built.set(pool.id, { models: pool.models, realtime });
    return realtime;
  };
  const principal: PrincipalDeps = {
    sessionSecrets: deps.sync.sessionSecrets,
    now: deps.sync.now,
    verifyToken: deps.verifyToken,
    loginIdentityOf: createLoginTokenIdentity(deps),
    identities: deps.sync.storage.identities,
  };

  const upgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const poolId = decodeURIComponent(PATH.exec(pathOf(request))![1]!);
    if (modelsOf(await deps.pools.get(poolId)) === null) return refuseUpgrade(socket, 404, JSON.stringify({ errors: [{ errorType: "NotFoundException", message: "No model API at this path." }] }));
    const admission = deps.caps.admit(request, "websocket");
    if ("refused" in admission) {
      const { body, headers } = ConnectionCaps.refusal(admission.refused, deps.caps.settings);
      logger.warn({ limit: admission.refused }, "realtime upgrade refused: connection cap reached");
      return refuseUpgrade(socket, 429, body, headers);
    }
    // The TCP socket outlives the upgrade and closes with the WebSocket (or a failed handshake).
    socket.once("close", admission.release);
    wss.handleUpgrade(request, socket, head, (webSocket: WebSocket) => {
      serveRealtimeConnection(webSocket, authHeadersOfUpgrade(request), {
        poolId,
        models: async () => modelsOf(await deps.pools.get(poolId)),
        principal,
        bus: deps.bus,
        storage: deps.sync.storage.datasets,
        keepAliveMs: deps.config.keepAliveMs,
        initTimeoutMs: REALTIME_INIT_TIMEOUT_MS,
        maxSubscriptions: MAX_REALTIME_SUBSCRIPTIONS,
        maxBufferedBytes: deps.config.maxBufferedBytes,
        now: deps.sync.now,
        logger,
      });
    });
  };

  return {
    handles: (path) => PATH.test(path),
    handleUpgrade(request, socket, head) {
      upgrade(request, socket, head).catch((error: unknown) => {
        logger.error({ err: error }, "realtime upgrade failed");
        refuseUpgrade(socket, 500, JSON.stringify({ errors: [{ errorType: "InternalFailure", message: "An internal failure occurred." }] }));
      });
    },
    connectionCount: () => wss.clients.size,
    async close() {
      for (const client of wss.clients) client.close(1001, "server shutting down");
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function pathOf(request: IncomingMessage): string {
  return (request.url ?? "/").split("?")[0]!;
}

/** Answers an upgrade with a plain HTTP error and closes the socket (no WebSocket exists yet). */
export function refuseUpgrade(socket: Duplex, status: number, body: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const lines = [`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}`, "Connection: close", "Content-Type: application/json; charset=utf-8", `Content-Length: ${Buffer.byteLength(body)}`];
  for (const [name, value] of Object.entries(headers)) if (!/^(content-type|content-length)$/i.test(name)) lines.push(`${name}: ${value}`);
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
}

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error" };
