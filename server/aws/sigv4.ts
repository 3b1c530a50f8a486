/**
 * AWS Signature Version 4, the server's side: parses the `Authorization` header and recomputes the
 * signature over the request as received, so the AWS SDKs' own signing authenticates callers.
 *
 * Why not a library: `@smithy/signature-v4` signs outgoing requests; verifying would mean
 * rebuilding a smithy `HttpRequest` and trusting that its header filtering matches what the client
 * chose to sign. The canonical request is a short, fully specified string (AWS General Reference,
 * "Create a canonical request"); the cryptography is node:crypto's HMAC-SHA256, and the comparison
 * is constant-time. The canonicalization mirrors smithy's signer (double-encoded path, sorted
 * query, trimmed header values), which the integration tests check against the real SDK clients.
 *
 * The signature covers the body through its SHA-256, which we always compute from the bytes
 * received. `x-amz-content-sha256` is only a claim by the sender: when present it must equal our
 * hash, and the unsigned forms (`UNSIGNED-PAYLOAD`, `STREAMING-*`, which S3 allows) are refused,
 * so a captured request cannot be replayed with another body.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { AwsError } from "./aws-errors.js";

/** How far `x-amz-date` may be from server time (AWS allows 15 minutes either way). */
export const MAX_REQUEST_SKEW_MS = 15 * 60 * 1000;

/** What the `Authorization` header says. */
export interface SigV4Authorization {
  accessKeyId: string;
  /** `YYYYMMDD` of the credential scope. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** A request as received, with its body bytes read. */
export interface SignedRequest {
  method: string;
  /** Path as sent on the wire (still percent-encoded), without the query. */
  rawPath: string;
  /** Query string as sent, without `?`. */
  rawQuery: string;
  headers: Headers;
  body: Uint8Array;
}

const AUTH_PATTERN = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;._-]+),\s*Signature=([0-9a-f]{64})\s*$/;

/**
 * Parses the header; null when the request carries none (an unsigned call).
 * @throws AwsError IncompleteSignatureException for a header that is not SigV4.
 */
export function parseAuthorization(header: string | null): SigV4Authorization | null {
  if (header === null || header.trim() === "") return null;
  const match = AUTH_PATTERN.exec(header.trim());
  if (!match) throw new AwsError("IncompleteSignatureException", 400, "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' (AWS4-HMAC-SHA256).");
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match;
  return { accessKeyId: accessKeyId!, date: date!, region: region!, service: service!, signedHeaders: signedHeaders!.split(";"), signature: signature! };
}

/**
 * Checks a parsed signature against `secretAccessKey`: the scope's service, the signed headers
 * (`host` and `x-amz-date` must be among them), the request date within 15 minutes of `nowMs`,
 * and the signature itself.
 * @throws AwsError InvalidSignatureException (bad scope, date or signature), IncompleteSignatureException.
 */
export function verifySignature(request: SignedRequest, auth: SigV4Authorization, secretAccessKey: string, expectedService: string, nowMs: number): void {
  if (auth.service !== expectedService) {
    throw new AwsError("InvalidSignatureException", 403, `Credential should be scoped to correct service: '${expectedService}'.`);
  }
  for (const required of ["host", "x-amz-date"]) {
    if (!auth.signedHeaders.includes(required)) throw new AwsError("IncompleteSignatureException", 400, `'${required}' must be a signed header.`);
  }
  const amzDate = request.headers.get("x-amz-date") ?? "";
  const dateMs = parseAmzDate(amzDate);
  if (dateMs === null || amzDate.slice(0, 8) !== auth.date) {
    throw new AwsError("IncompleteSignatureException", 400, "x-amz-date must be YYYYMMDDTHHMMSSZ and match the credential scope date.");
  }
  if (Math.abs(nowMs - dateMs) > MAX_REQUEST_SKEW_MS) {
    throw new AwsError("InvalidSignatureException", 403, `Signature expired: ${amzDate} is now earlier or later than 15 min from ${formatAmzDate(nowMs)}.`);
  }
  const payloadHash = receivedPayloadHash(request);
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest(request, auth.signedHeaders, payloadHash))].join("\n");
  const key = [auth.date, auth.region, auth.service, "aws4_request"].reduce<Buffer>(
    (previous, part) => hmac(previous, part),
    Buffer.from(`AWS4${secretAccessKey}`, "utf8"),
  );
  const expected = hmac(key, stringToSign);
  const given = Buffer.from(auth.signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AwsError(
      "InvalidSignatureException",
      403,
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    );
  }
}

/**
 * The hex SHA-256 of the body as received, after checking `x-amz-content-sha256` against it.
 * @throws AwsError InvalidSignatureException for an unsigned or streaming payload, or a header
 *   that does not match the body.
 */
export function receivedPayloadHash(request: SignedRequest): string {
  const computed = sha256Hex(request.body);
  const declared = request.headers.get("x-amz-content-sha256");
  if (declared === null) return computed;
  const claim = declared.trim();
  if (claim === "UNSIGNED-PAYLOAD" || claim.startsWith("STREAMING-")) {
    throw new AwsError("InvalidSignatureException", 403, `x-amz-content-sha256 '${claim.slice(0, 64)}' is not accepted by this service: sign the payload.`);
  }
  if (claim.toLowerCase() !== computed) {
    throw new AwsError("InvalidSignatureException", 403, "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return computed;
}

/** The canonical request of AWS's specification, over the headers the client signed and the body's hash. */
export function canonicalRequest(request: SignedRequest, signedHeaders: readonly string[], payloadHash: string): string {
  const headers = signedHeaders.map((name) => `${name}:${(request.headers.get(name) ?? "").trim().replace(/\s+/g, " ")}`);
  return [request.method.toUpperCase(), canonicalPath(request.rawPath), canonicalQuery(request.rawQuery), ...headers, "", signedHeaders.join(";"), payloadHash].join("\n");
}

/** Non-S3 services sign the normalized path encoded once more (the SDK encodes it before signing). */
function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const normalized = `/${segments.join("/")}${segments.length > 0 && rawPath.endsWith("/") ? "/" : ""}`;
  return escapeUri(normalized).replace(/%2F/g, "/");
}

function canonicalQuery(rawQuery: string): string {
  if (rawQuery === "") return "";
  return rawQuery
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const at = pair.indexOf("=");
      const name = decode(at < 0 ? pair : pair.slice(0, at));
      const value = at < 0 ? "" : decode(pair.slice(at + 1));
      return `${escapeUri(name)}=${escapeUri(value)}`;
    })
    .filter((pair) => !pair.toLowerCase().startsWith("x-amz-signature="))
    .sort()
    .join("&");
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** RFC 3986 encoding, as the SDK's `escapeUri`. */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `20240102T030405Z` -> epoch ms, or null. */
export function parseAmzDate(text: string): number | null {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}

function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}
