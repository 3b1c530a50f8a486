/**
 * One AWS API request as the handlers see it: the Fetch request read once (the body's bytes are
 * needed both to check the signature and to parse), the path below the service's prefix split
 * into decoded segments, and the query.
 */
import { AwsError } from "./aws-errors.js";
import type { SignedRequest } from "./sigv4.js";

/** Largest body accepted: UpdateRecords of a full dataset (1 MB of values) plus JSON overhead. */
export const MAX_AWS_BODY_BYTES = 2 * 1024 * 1024;

/** A request read and split. */
export interface AwsRequest extends SignedRequest {
  /** Decoded path segments below the service prefix (`identitypools`, `<pool id>`, ...). */
  segments: string[];
  query: URLSearchParams;
  /** The body parsed as JSON (`{}` when empty). */
  json(): Record<string, unknown>;
}

/**
 * Reads `request`; `servicePath` is the prefix it was routed by (e.g. `/aws/cognito-sync`).
 * @throws AwsError for a body over the limit.
 */
export async function readAwsRequest(request: Request, servicePath: string): Promise<AwsRequest> {
  const url = new URL(request.url);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_AWS_BODY_BYTES) throw new AwsError("InvalidParameterException", 413, `request body over ${MAX_AWS_BODY_BYTES} bytes`);
  const body = new Uint8Array(await request.arrayBuffer());
  if (body.byteLength > MAX_AWS_BODY_BYTES) throw new AwsError("InvalidParameterException", 413, `request body over ${MAX_AWS_BODY_BYTES} bytes`);
  // The raw path as sent: the signature covers it in its encoded form.
  const rawPath = rawPathOf(request.url);
  const below = url.pathname.slice(servicePath.length);
  const segments = below.split("/").filter((segment) => segment !== "").map(decodeSegment);
  let parsed: Record<string, unknown> | undefined;
  return {
    method: request.method,
    rawPath,
    rawQuery: url.search.replace(/^\?/, ""),
    headers: request.headers,
    body,
    segments,
    query: url.searchParams,
    json() {
      if (parsed) return parsed;
      if (body.byteLength === 0) return (parsed = {});
      try {
        const value: unknown = JSON.parse(new TextDecoder().decode(body));
        if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("not an object");
        return (parsed = value as Record<string, unknown>);
      } catch {
        throw new AwsError("SerializationException", 400, "The request body is not a JSON object.");
      }
    },
  };
}

/** The path exactly as it came (the WHATWG URL parser would re-encode some characters). */
function rawPathOf(url: string): string {
  const afterScheme = url.indexOf("//");
  const pathStart = url.indexOf("/", afterScheme + 2);
  if (pathStart < 0) return "/";
  const end = url.slice(pathStart).search(/[?#]/);
  return end < 0 ? url.slice(pathStart) : url.slice(pathStart, pathStart + end);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AwsError("InvalidParameterException", 400, "malformed percent-encoding in the path");
  }
}

/** A required string field of a JSON body. */
export function requireString(body: Record<string, unknown>, field: string, maxLength = 1024): string {
  const value = body[field];
  if (typeof value !== "string" || value.length === 0 || value.length > maxLength) {
    throw new AwsError("InvalidParameterException", 400, `1 validation error detected: Value at '${lowerFirst(field)}' failed to satisfy constraint: Member must be a string of 1 to ${maxLength} characters`);
  }
  return value;
}

/** An optional string field. */
export function optionalString(body: Record<string, unknown>, field: string, maxLength = 1024): string | null {
  return body[field] === undefined || body[field] === null ? null : requireString(body, field, maxLength);
}

/** A `Logins` map (`{provider: token}`), or `{}`. */
export function loginsOf(body: Record<string, unknown>, field = "Logins"): Record<string, string> {
  const value = body[field];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value) || Object.values(value).some((token) => typeof token !== "string")) {
    throw new AwsError("InvalidParameterException", 400, `${field} must be a map of provider name to token`);
  }
  if (Object.keys(value).length > 10) throw new AwsError("InvalidParameterException", 400, `${field} may name at most 10 providers`);
  return value as Record<string, string>;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
