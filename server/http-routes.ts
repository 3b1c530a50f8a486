/**
 * The HTTP routes beside GraphQL, each a yoga plugin that answers its paths in `onRequest` (before
 * yoga parses anything), so the one Fetch handler (`SyncpoolServer.fetch`, and yoga's Node
 * listener) serves every route:
 *
 *   GET /healthz               200 {"status":"ok"} while the process serves requests
 *   GET /readyz                200 when storage answers, 503 otherwise (load balancers)
 *   GET /.well-known/jwks.json the public keys that verify identity tokens
 *   /aws/...                   the AWS-compatible endpoints (`server/aws/`)
 *   GET /metrics, /console     the operations routes (`server/metrics/`, `server/console/`)
 *
 * A HEAD request gets the GET answer's status and headers without its body.
 */
import type { Plugin } from "graphql-yoga";
import type { Logger } from "./logger.js";

/** One route: which requests it answers, and how. `socketAddress` is the TCP peer, undefined in-process. */
interface Route {
  matches(path: string, method: string): boolean;
  answer(request: Request, socketAddress: string | undefined): Promise<Response>;
}

/** The part of yoga's server context the Node listener fills in: the incoming message. */
interface NodeServerContext {
  req?: { socket?: { remoteAddress?: string } };
}

function routePlugin(route: Route, logger: Logger): Plugin {
  return {
    async onRequest({ request, url, serverContext, endResponse }) {
      if (!route.matches(url.pathname, request.method)) return;
      const socketAddress = (serverContext as NodeServerContext | undefined)?.req?.socket?.remoteAddress;
      let response: Response;
      try {
        response = await route.answer(request, socketAddress);
      } catch (error) {
        logger.error({ err: error, path: url.pathname }, "serving a request failed");
        response = json(500, { message: "Unexpected error." });
      }
      endResponse(request.method === "HEAD" ? new Response(null, { status: response.status, headers: response.headers }) : response);
    },
  };
}

const isRead = (method: string) => method === "GET" || method === "HEAD";

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8", ...headers } });
}

const READINESS_TIMEOUT_MS = 2000;

/** `/healthz` (the process answers) and `/readyz` (storage answers within 2 s). */
export function useHealthRoutes(deps: { ping(): Promise<void>; logger: Logger }): Plugin[] {
  const healthz = routePlugin({
    matches: (path, method) => path === "/healthz" && isRead(method),
    answer: async () => json(200, { status: "ok" }),
  }, deps.logger);
  const readyz = routePlugin({
    matches: (path, method) => path === "/readyz" && isRead(method),
    answer: async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          deps.ping(),
          new Promise((_resolve, reject) => {
            timer = setTimeout(() => reject(new Error(`storage did not answer within ${READINESS_TIMEOUT_MS} ms`)), READINESS_TIMEOUT_MS);
          }),
        ]);
        return json(200, { status: "ready" });
      } catch (error) {
        deps.logger.warn({ err: error }, "readiness check failed");
        return json(503, { status: "unavailable" });
      } finally {
        clearTimeout(timer);
      }
    },
  }, deps.logger);
  return [healthz, readyz];
}

/** `/.well-known/jwks.json`: the token service's current public key set. */
export function useJwksRoute(jwks: () => unknown, logger: Logger): Plugin {
  return routePlugin({
    matches: (path, method) => path === "/.well-known/jwks.json" && isRead(method),
    answer: async () => json(200, jwks(), { "cache-control": "public, max-age=300" }),
  }, logger);
}

/** Fetch-style handlers that own a set of paths (the AWS endpoints, the operations routes). */
export interface PathHandler {
  handles(path: string): boolean;
  fetch(request: Request, socketAddress: string | undefined): Promise<Response>;
}

/** Bodies the Fetch-style routes read at most; each checks its own, smaller limit. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Serves `handler`'s paths. The body is read here first (bounded), so a client that sends too much
 * gets 413 without being held in memory, and one that hangs up mid-body is logged at debug: a
 * client going away is not the server's fault.
 */
export function usePathHandler(handler: PathHandler, logger: Logger): Plugin {
  return routePlugin({
    matches: (path) => handler.handles(path),
    async answer(request, socketAddress) {
      let body: Uint8Array<ArrayBuffer> | undefined;
      if (request.body !== null && request.method !== "GET" && request.method !== "HEAD") {
        try {
          body = await readBounded(request.body, MAX_BODY_BYTES);
        } catch (error) {
          logger.debug({ err: error }, "the client went away while sending its request");
          return json(400, { message: "the request body could not be read" });
        }
        if (body === undefined) return json(413, { message: "request body too large" });
      }
      return handler.fetch(new Request(request.url, { method: request.method, headers: request.headers, ...(body ? { body } : {}) }), socketAddress);
    },
  }, logger);
}

/** The whole stream, or undefined once it passes `maxBytes` (the rest is not read). */
async function readBounded(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
