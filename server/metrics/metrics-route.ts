/**
 * `GET /metrics`: the Prometheus text exposition, guarded as SYNCPOOL_METRICS says. `off` answers
 * 404 as if the route did not exist; `admin` wants the admin token as a bearer (compared in
 * constant time; a header, never a cookie or a query parameter, so a page cannot be tricked into
 * sending it). A scrape that fails answers 500 and is logged; it never affects serving.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MetricsMode } from "../config.js";
import type { Logger } from "../logger.js";
import type { SyncpoolMetrics } from "./syncpool-metrics.js";

/** The path Prometheus scrapes. */
export const METRICS_PATH = "/metrics";

/** What the route needs. */
export interface MetricsRouteDeps {
  mode: MetricsMode;
  /** SYNCPOOL_ADMIN_TOKEN (required by `admin`, checked in config). */
  adminToken: string | null;
  metrics: SyncpoolMetrics;
  logger: Logger;
}

/** Builds the route's Fetch handler. */
export function createMetricsRoute(deps: MetricsRouteDeps): (request: Request) => Promise<Response> {
  const adminDigest = deps.adminToken === null ? null : sha256(deps.adminToken);
  return async (request) => {
    if (deps.mode === "off") return text(404, "not found\n");
    if (request.method !== "GET" && request.method !== "HEAD") return text(405, "method not allowed\n", { allow: "GET, HEAD" });
    if (deps.mode === "admin") {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
      if (token === undefined || adminDigest === null || !timingSafeEqual(sha256(token), adminDigest)) {
        return text(401, "send 'Authorization: Bearer <admin token>'\n", { "www-authenticate": 'Bearer realm="syncpool metrics"' });
      }
    }
    try {
      const body = await deps.metrics.render();
      return new Response(request.method === "HEAD" ? null : body, {
        status: 200,
        headers: { "content-type": deps.metrics.contentType, "cache-control": "no-store" },
      });
    } catch (error) {
      deps.logger.error({ err: error }, "rendering metrics failed");
      return text(500, "metrics unavailable\n");
    }
  };
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
}

// Digests have one length, so the comparison is constant-time for tokens of any length.
function sha256(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
