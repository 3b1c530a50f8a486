/**
 * The Node HTTP server: puts the sync server on a socket. Every route is the sync server's own
 * (`server/http-routes.ts`, GraphQL at `/graphql`); this file only binds the port, hands each
 * request to yoga's Node listener, and holds what only a socket has:
 *
 *   - TLS when the config has a certificate (`config.tls`): node:https with the same request
 *     handler and the same upgrades, so HTTP is https and every WebSocket route wss;
 *   - the live-connection caps of SSE streams (`server/push/connection-caps.ts`), and graphql-ws on
 *     a WebSocket upgrade (`server/push/ws-endpoint.ts`, attached once the server listens);
 *   - a request whose Host header cannot be part of a URL (yoga builds the request's URL from
 *     it) is served as Host `localhost`: no valid signature can name such a host anyway;
 *   - stopping (`close`, and SIGTERM/SIGINT through `closeOnSignals`): requests that arrive from
 *     then on get 503, WebSockets close with 1001 (going away) and SSE streams end, requests in
 *     flight (pushes included) finish and are answered, then storage closes. All of it within a
 *     time limit (SYNCPOOL_SHUTDOWN_TIMEOUT_MS), past which the process exits anyway.
 *
 * The `http.Server` stays reachable (`RunningServer.httpServer`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { ServerConfig } from "./config.js";
import { ConnectionCaps } from "./push/connection-caps.js";
import { refuseUpgrade } from "./models/realtime-endpoint.js";
import { createSyncpoolServer, type SyncpoolServer, type SyncpoolServerOptions } from "./create-server.js";

/** Options for `startServer`: those of `createSyncpoolServer`. */
export type StartServerOptions = SyncpoolServerOptions;

/** A server listening on a port. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:4000`, `https://` with TLS (a wildcard host is shown as loopback). */
  url: string;
  /** `${url}/graphql`. */
  graphqlUrl: string;
  /** The port actually bound (useful with port 0). */
  port: number;
  server: SyncpoolServer;
  /** The underlying HTTP server (for the WebSocket upgrade handler); an `https.Server` with TLS. */
  httpServer: Server;
  /**
   * Stops accepting connections, refuses new requests on open ones with 503, lets in-flight
   * requests finish (forcing them after `graceMs`), then closes the sync server and its storage.
   * Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

/** Builds the sync server from `config` and listens on `config.host`:`config.port`. */
export async function startServer(config: ServerConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  const server = await createSyncpoolServer(config, options);
  const { logger } = server;

  let stopping = false;
  const handleRequest = (request: IncomingMessage, response: ServerResponse) => {
    // A keep-alive connection may still carry a request after stopping began: turn it away, and
    // close the connection so the client's next attempt goes to another instance.
    if (stopping) return sendJson(response, 503, { message: "server is shutting down" }, { connection: "close", "retry-after": "1" });
    const path = (request.url ?? "/").split("?")[0];
    if (!canBeUrlHost(request.headers.host)) request.headers.host = "localhost";
    // An SSE stream is a live connection: it takes a slot of the per-address and total caps while it streams.
    if (path === "/graphql" && (request.headers.accept ?? "").includes("text/event-stream")) {
      const admission = server.push.caps.admit(request, "sse");
      if ("refused" in admission) {
        const { body, headers } = ConnectionCaps.refusal(admission.refused, server.push.caps.settings);
        logger.warn({ limit: admission.refused }, "SSE request refused: connection cap reached");
        response.writeHead(429, headers);
        return void response.end(body);
      }
      response.once("close", admission.release);
    }
    return void server.yoga.requestListener(request, response);
  };
  const httpServer: Server = config.tls ? createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, handleRequest) : createServer(handleRequest);

  try {
    await listen(httpServer, config.port, config.host);
  } catch (error) {
    await server.close();
    throw error;
  }

  server.push.attachWebSockets(httpServer, server.yoga);
  // Upgrades: `/graphql` is push's (graphql-ws), the model API's realtime paths are its own; any other is refused.
  httpServer.on("upgrade", (request, socket, head) => {
    const path = (request.url ?? "/").split("?")[0]!;
    if (server.appsyncRealtime.handles(path)) server.appsyncRealtime.handleUpgrade(request, socket, head);
    else if (path !== "/graphql") refuseUpgrade(socket, 400, JSON.stringify({ message: "no WebSocket at this path" }));
  });

  const { port, address, family } = httpServer.address() as AddressInfo;
  const url = `${config.tls ? "https" : "http"}://${displayHost(address, family)}:${port}`;
  const graphqlUrl = `${url}/graphql`;
  for (const warning of config.warnings) logger.warn(warning);
  logger.info(
    { url, graphqlUrl, tlsCertFile: config.tls?.certFile ?? null, dataDir: config.dataDir, storage: server.storage.kind, adminApi: config.adminToken !== null, graphiql: config.dev },
    `syncpool listening on ${graphqlUrl} ${describePools(config)}`,
  );

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000) =>
    (closing ??= (async () => {
      stopping = true;
      const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      // WebSockets and SSE streams never go idle: end them, or closing would wait for the force.
      await server.push.closeConnections();
      await server.appsyncRealtime.close();
      const force = setTimeout(() => httpServer.closeAllConnections(), graceMs);
      // A response that finishes now leaves its keep-alive socket idle, and close() would wait out
      // the keep-alive timeout for it: close such sockets as they go idle.
      const sweep = setInterval(() => httpServer.closeIdleConnections(), 25);
      await stopped;
      clearInterval(sweep);
      clearTimeout(force);
      await server.close();
      logger.info("syncpool stopped");
    })());

  return { url, graphqlUrl, port, server, httpServer, close };
}

/**
 * Closes `running` gracefully on SIGTERM or SIGINT, then exits 0. Past `timeoutMs` it exits 1
 * whatever is still running (orchestrators kill a process that outstays its grace period anyway;
 * exiting first at least logs why). For the CLI: a library embedding the server decides about its
 * own signals.
 */
export function closeOnSignals(running: RunningServer, timeoutMs = 10_000): void {
  const onSignal = (signal: NodeJS.Signals) => {
    running.server.logger.info({ signal, timeoutMs }, "shutting down");
    setTimeout(() => {
      running.server.logger.error({ timeoutMs }, "shutdown timed out: exiting with work unfinished");
      process.exit(1);
    }, timeoutMs).unref();
    running.close(timeoutMs).then(
      () => process.exit(0),
      (error: unknown) => {
        running.server.logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}

function sendJson(response: ServerResponse, status: number, body: object | string, headers: Record<string, string> = {}): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  response.end(response.req.method === "HEAD" ? undefined : text);
}

/** Whether `host` can stand in a URL's authority (yoga builds the request's URL from it) as a host, not credentials. */
function canBeUrlHost(host: string | undefined): boolean {
  if (host === undefined) return true;
  try {
    const url = new URL(`http://${host}/`);
    return url.host !== "" && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}

function listen(httpServer: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(port, host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
}

/** A wildcard address is reachable on loopback; IPv6 literals need brackets in a URL. */
function displayHost(address: string, family: string): string {
  if (address === "0.0.0.0") return "127.0.0.1";
  if (address === "::") return "[::1]";
  return family === "IPv6" ? `[${address}]` : address;
}

function describePools(config: ServerConfig): string {
  if (config.pools.length === 0) return '(pool "default", guests allowed)';
  const names = config.pools.map((pool) => `"${pool.id}"${pool.allowGuests ? "" : " (no guests)"}`);
  return `(pool${names.length > 1 ? "s" : ""} ${names.join(", ")})`;
}
