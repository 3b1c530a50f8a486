/**
 * Transfer codes: how a guest moves to another device. A code carries the guest's identity id
 * and device secret, so it IS a bearer credential: whoever holds it can act as that guest until
 * the guest is upgraded by a login (the server then clears the secret) or wiped. Show it only
 * to its owner (a QR code on screen, not a link in a chat) and never log it.
 *
 * Chosen over a short-lived server-issued code because it needs no server round trip and works
 * offline like the rest of sign-in; the price is that it does not expire on its own. The format
 * is versioned (`sp1.`) so a server-issued, expiring code can be added later beside it.
 */
import { SyncpoolError } from "../core/errors.js";

const PREFIX = "sp1.";

/** Encodes a guest as a transfer code. */
export function encodeTransferCode(identityId: string, deviceSecret: string): string {
  const json = JSON.stringify({ identityId, deviceSecret });
  return PREFIX + base64Url(new TextEncoder().encode(json));
}

/**
 * Decodes a transfer code.
 * @throws SyncpoolError BAD_USER_INPUT (`field: "transferCode"`) for anything that is not one.
 */
export function decodeTransferCode(code: string): { identityId: string; deviceSecret: string } {
  const refuse = () => new SyncpoolError("BAD_USER_INPUT", "transferCode: not a syncpool transfer code", { field: "transferCode" });
  if (typeof code !== "string" || !code.startsWith(PREFIX)) throw refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fromBase64Url(code.slice(PREFIX.length))));
  } catch {
    throw refuse();
  }
  const { identityId, deviceSecret } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof identityId !== "string" || typeof deviceSecret !== "string" || !identityId || !deviceSecret) throw refuse();
  return { identityId, deviceSecret };
}

function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
