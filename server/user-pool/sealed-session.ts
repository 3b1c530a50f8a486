/**
 * Opaque, sealed, expiring values that the client carries between two calls: the SRP
 * `SECRET_BLOCK` (the server's ephemeral secret, so SRP needs no server-side state) and the
 * `Session` of a challenge. AES-256-GCM under the user-pool session key, bound to a purpose, with
 * the expiry inside: a block cannot be altered, moved to another purpose, or used after it expires.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** `payload` sealed for `purpose` until `expiresAt` (epoch ms), as base64. */
export function sealSession(key: Uint8Array, purpose: string, payload: Record<string, unknown>, expiresAt: number): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(purpose, "utf8"));
  const body = Buffer.concat([cipher.update(JSON.stringify({ ...payload, exp: expiresAt }), "utf8"), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64");
}

/**
 * The bytes of a sealed value, however its base64 was spelled (`-`/`_`, padding or none): the one
 * identity of a value, since every spelling of it opens alike.
 */
export function sealedBytes(sealed: string): Buffer {
  return Buffer.from(sealed.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

/** The payload of a sealed value, or null when it was altered, is for another purpose, or expired at `now`. */
export function openSession<T extends Record<string, unknown>>(key: Uint8Array, purpose: string, sealed: string, now: number): (T & { exp: number }) | null {
  const raw = sealedBytes(sealed);
  if (raw.length < IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES)).setAAD(Buffer.from(purpose, "utf8"));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString("utf8");
    const payload = JSON.parse(text) as T & { exp: number };
    return typeof payload.exp === "number" && payload.exp > now ? payload : null;
  } catch {
    return null;
  }
}
