/**
 * How syncpool signs what it POSTs (webhook events and HTTPS sync trigger calls), and how a
 * receiver checks it. The signed text is `<timestamp>.<body>`: binding the timestamp stops a
 * captured request from being replayed later with a fresh timestamp. Headers:
 *
 *   x-syncpool-timestamp: 1767225600123                (epoch ms when the request was signed)
 *   x-syncpool-signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 *
 * The `v1=` prefix leaves room for another scheme (or a second secret during rotation) later.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Header carrying the signing time, epoch ms. */
export const TIMESTAMP_HEADER = "x-syncpool-timestamp";
/** Header carrying `v1=<hex>`. */
export const SIGNATURE_HEADER = "x-syncpool-signature";

/** The two headers for `body`, signed at `timestampMs` with `secret`. */
export function signatureHeaders(secret: string, body: string, timestampMs: number): Record<string, string> {
  return {
    [TIMESTAMP_HEADER]: String(timestampMs),
    [SIGNATURE_HEADER]: `v1=${hmacHex(secret, `${timestampMs}.${body}`)}`,
  };
}

/** What a receiver checks. */
export interface VerifySignatureInput {
  secret: string;
  /** The raw request body, exactly as received (not re-serialized JSON). */
  body: string;
  /** The `x-syncpool-timestamp` header. */
  timestamp: string | null | undefined;
  /** The `x-syncpool-signature` header. */
  signature: string | null | undefined;
  /** Receiver's time, epoch ms (default now). */
  nowMs?: number;
  /** Oldest (and furthest in the future) accepted timestamp, ms from now. Default 5 minutes. */
  toleranceMs?: number;
}

/**
 * True when the signature matches the body and timestamp and the timestamp is within tolerance.
 * Compares in constant time. Exported for receivers written in TypeScript (docs/events.md shows
 * the same check in a few lines for anyone else).
 */
export function verifySignature(input: VerifySignatureInput): boolean {
  const { secret, body, timestamp, signature } = input;
  if (!timestamp || !signature || !/^\d{1,16}$/.test(timestamp)) return false;
  const skew = Math.abs((input.nowMs ?? Date.now()) - Number(timestamp));
  if (skew > (input.toleranceMs ?? 5 * 60_000)) return false;
  const expected = Buffer.from(`v1=${hmacHex(secret, `${timestamp}.${body}`)}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function hmacHex(secret: string, text: string): string {
  return createHmac("sha256", secret).update(text, "utf8").digest("hex");
}
