/**
 * The Node HTTP server: puts the sync server on a socket and adds the operational routes.
 *
 *   GET /healthz               200 {"status":"ok"} while the process serves requests
 *   GET /readyz                200 when storage answers, 503 otherwise (load balancers)
 *   GET /.well-known/jwks.json the public keys that verify identity tokens
 *   /graphql                   GraphQL over HTTP (GraphiQL in a browser with --dev),
 *                              subscriptions over SSE, and graphql-ws on a WebSocket upgrade
 *                              (both under the live-connection caps, `server/push/connection-caps.ts`)
 *   /aws/cognito-identity, /aws/cognito-sync, /aws/kinesis
 *                              the AWS-compatible endpoints (`server/aws/`; prefix SYNCPOOL_AWS_PATH_PREFIX)
 *
 * The `http.Server` stays reachable (`RunningServer.httpServer`); the graphql-ws endpoint
 * (`server/push/ws-endpoint.ts`) is attached to it once it listens.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ServerConfig } from "./config.js";
import { ConnectionCaps } from "./push/connection-caps.js";
import { createSyncpoolServer, type SyncpoolServer, type SyncpoolServerOptions } from "./index.js";

/** Options for `startServer`: those of `createSyncpoolServer`. */
export type StartServerOptions = SyncpoolServerOptions;

/** A server listening on a port. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:4000` (a wildcard host is shown as loopback). */
  url: string;
  /** `${url}/graphql`. */
  graphqlUrl: string;
  /** The port actually bound (useful with port 0). */
  port: number;
  server: SyncpoolServer;
  /** The underlying HTTP server (for the WebSocket upgrade handler). */
  httpServer: Server;
  /**
   * Stops accepting connections, lets in-flight requests finish (forcing them after
   * `graceMs`), then closes the sync server and its storage. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

const READINESS_TIMEOUT_MS = 2000;

/** Builds the sync server from `config` and listens on `config.host`:`config.port`. */
export async function startServer(config: ServerConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  const server = await createSyncpoolServer(config, options);
  const { logger } = server;
  const jwksBody = JSON.stringify(server.tokens.jwks);

  const httpServer = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    const isRead = request.method === "GET" || request.method === "HEAD";
    if (isRead && path === "/healthz") return sendJson(response, 200, { status: "ok" });
    if (isRead && path === "/readyz") return void checkReady(server).then(([status, body]) => sendJson(response, status, body));
    if (isRead && path === "/.well-known/jwks.json") return sendJson(response, 200, jwksBody, { "cache-control": "public, max-age=300" });
    if (server.aws.handles(path ?? "/")) return void serveFetch(request, response, (fetchRequest) => server.aws.fetch(fetchRequest, request.socket.remoteAddress), logger);
    // An SSE stream is a live connection: it takes a slot of the per-address and total caps while it streams.
    if (path === "/graphql" && (request.headers.accept ?? "").includes("text/event-stream")) {
      const admission = server.push.caps.admit(request);
      if ("refused" in admission) {
        const { body, headers } = ConnectionCaps.refusal(admission.refused, server.push.caps.settings);
        logger.warn({ limit: admission.refused }, "SSE request refused: connection cap reached");
        response.writeHead(429, headers);
        return void response.end(body);
      }
      response.once("close", admission.release);
    }
    return void server.yoga.requestListener(request, response);
  });

  try {
    await listen(httpServer, config.port, config.host);
  } catch (error) {
    await server.close();
    throw error;
  }

  server.push.attachWebSockets(httpServer, server.yoga);

  const { port, address, family } = httpServer.address() as AddressInfo;
  const url = `http://${displayHost(address, family)}:${port}`;
  const graphqlUrl = `${url}/graphql`;
  for (const warning of config.warnings) logger.warn(warning);
  logger.info(
    { url, graphqlUrl, dataDir: config.dataDir, storage: server.storage.kind, adminApi: config.adminToken !== null, graphiql: config.dev },
    `syncpool listening on ${graphqlUrl} ${describePools(config)}`,
  );

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000) =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      // WebSockets and SSE streams never go idle: end them, or closing would wait for the force.
      await server.push.closeConnections();
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
 * Closes `running` gracefully on SIGTERM or SIGINT, then exits. For the CLI: a library embedding
 * the server decides about its own signals.
 */
export function closeOnSignals(running: RunningServer): void {
  const onSignal = (signal: NodeJS.Signals) => {
    running.server.logger.info({ signal }, "shutting down");
    running.close().then(
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

async function checkReady(server: SyncpoolServer): Promise<[number, object]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      server.storage.ping(),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`storage did not answer within ${READINESS_TIMEOUT_MS} ms`)), READINESS_TIMEOUT_MS);
      }),
    ]);
    return [200, { status: "ready" }];
  } catch (error) {
    server.logger.warn({ err: error }, "readiness check failed");
    return [503, { status: "unavailable" }];
  } finally {
    clearTimeout(timer);
  }
}

/** Bodies the Fetch-style routes (the AWS endpoints) read at most; they check their own, smaller limit. */
const MAX_FETCH_BODY_BYTES = 4 * 1024 * 1024;

/** Answers a Node request with a Fetch handler: reads the body (bounded), writes the Response. */
async function serveFetch(request: IncomingMessage, response: ServerResponse, handler: (request: Request) => Promise<Response>, logger: SyncpoolServer["logger"]): Promise<void> {
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_FETCH_BODY_BYTES) return sendJson(response, 413, { message: "request body too large" });
      chunks.push(chunk);
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
    }
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    // The URL's host is a constant: a client's malformed Host header (a space, a bad port) must not
    // make the URL unparsable. Handlers read the Host they need (SigV4 signs it) from the headers.
    const answer = await handler(
      new Request(`http://localhost${(request.url ?? "/").startsWith("/") ? request.url : "/"}`, { method: request.method, headers, ...(hasBody ? { body: Buffer.concat(chunks) } : {}) }),
    );
    const body = Buffer.from(await answer.arrayBuffer());
    response.writeHead(answer.status, { ...Object.fromEntries(answer.headers), "content-length": body.length });
    response.end(request.method === "HEAD" ? undefined : body);
  } catch (error) {
    // A client that hangs up mid-body is not the server's fault: nothing to answer, nothing to alert on.
    if (request.destroyed || request.errored) return void logger.debug({ err: error }, "the client went away while sending its request");
    logger.error({ err: error }, "serving a request failed");
    if (!response.headersSent) sendJson(response, 500, { message: "Unexpected error." });
    else response.destroy();
  }
}

function sendJson(response: ServerResponse, status: number, body: object | string, headers: Record<string, string> = {}): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  response.end(response.req.method === "HEAD" ? undefined : text);
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
