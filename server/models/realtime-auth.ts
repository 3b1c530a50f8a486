/**
 * Where a realtime client puts its credentials, and how they become a principal. The socket's
 * auth headers (the same JSON an HTTP request of that auth mode carries: `x-api-key`, or
 * `Authorization` with a token) arrive in one of two places:
 *
 * - aws-amplify >= 6.6 offers a second subprotocol, `header-<base64url(JSON)>`, beside `graphql-ws`;
 * - older clients (and AppSync's guide) put standard base64 of it in `?header=` (with `&payload=e30=`).
 *
 * Each `start` carries the headers again in `payload.extensions.authorization`. Both are turned
 * into a Fetch request with those headers and handed to the model API's own `principalOf`, so the
 * realtime channel admits exactly the credentials the HTTP API does.
 */
import type { IncomingMessage } from "node:http";
import { decodeJwt } from "jose";
import { principalOf, type ModelPrincipal, type PrincipalDeps } from "./model-auth.js";

/** Auth headers as the client wrote them (`host`, `x-amz-date`, `x-api-key`, `Authorization`...). */
export type AuthHeaders = Readonly<Record<string, unknown>>;

const SUBPROTOCOL_PREFIX = "header-";

/** The auth headers of an upgrade request (subprotocol first, then `?header=`), or null when it carries none. */
export function authHeadersOfUpgrade(request: IncomingMessage): AuthHeaders | null {
  const offered = String(request.headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((protocol) => protocol.trim());
  const fromProtocol = offered.find((protocol) => protocol.startsWith(SUBPROTOCOL_PREFIX));
  if (fromProtocol !== undefined) return decodeHeaders(fromProtocol.slice(SUBPROTOCOL_PREFIX.length));
  const query = new URL(request.url ?? "/", "http://realtime.invalid").searchParams.get("header");
  // A `+` of standard base64 that was not percent-encoded reads as a space in a query string.
  return query === null ? null : decodeHeaders(query.replaceAll(" ", "+"));
}

/** Base64 (standard or URL-safe, padded or not) of a JSON object, or null when it is not one. */
function decodeHeaders(encoded: string): AuthHeaders | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(encoded, "base64").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as AuthHeaders) : null;
  } catch {
    return null;
  }
}

/** The principal `headers` prove for pool `poolId` (as `principalOf` reads an HTTP request), or null. */
export async function principalOfHeaders(headers: AuthHeaders, poolId: string, deps: PrincipalDeps): Promise<ModelPrincipal | null> {
  const request = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    // Only what can be a header: the client's own `host` and dates are strings too and harmless.
    if (typeof value === "string" && /^[A-Za-z0-9-]+$/.test(name) && !/[\r\n\0]/.test(value)) request.set(name, value);
  }
  return principalOf(new Request("http://realtime.invalid/", { headers: request }), poolId, deps);
}

/**
 * When the token in `headers` expires (epoch ms), or null when they carry none with an expiry
 * (an API key is checked for expiry by `principalOf`; its socket is not cut when it expires).
 */
export function tokenExpiryOf(headers: AuthHeaders): number | null {
  const header = headers["Authorization"] ?? headers["authorization"];
  if (typeof header !== "string") return null;
  try {
    const exp = decodeJwt(header.replace(/^Bearer\s+/i, "").trim()).exp;
    return typeof exp === "number" ? exp * 1000 : null;
  } catch {
    return null;
  }
}
