/**
 * The kinds of server key kept in the database, and for each how new material is made and which
 * file of a data directory from before keys moved to the database holds it. Material is text
 * (JSON or base64url); what it means is up to the module that uses the kind. A new kind (user-pool
 * keys, say) is one more entry here: the table stores any kind.
 */
import { createECDH, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { generateSigningKeyMaterial, signingKeyId } from "../identity/keys.js";

/** The kinds of key this build uses. */
export type ServerKeyKind = "token-signing" | "session" | "aws-credentials" | "vapid" | "push-webhook";

/** How one kind is made and named. */
export interface ServerKeyKindSpec {
  kind: ServerKeyKind;
  /** New material, given the material already chosen for the kinds listed before this one. */
  generate(chosen: ReadonlyMap<ServerKeyKind, string>): Promise<string>;
  /** The key id of material: stable for public keys (their thumbprint), random otherwise. */
  keyIdOf(material: string): Promise<string>;
  /** The file in `<dataDir>/keys/` that held this kind before keys moved to the database. */
  legacyFile: string;
  /** Whether `syncpool keys rotate` replaces it (with overlap: the previous key keeps verifying). */
  rotates: boolean;
}

const randomSecret = async () => randomBytes(32).toString("base64url");
const randomKeyId = async () => randomBytes(8).toString("hex");

/**
 * A VAPID key pair (RFC 8292: P-256), as `web-push`'s `generateVAPIDKeys` makes it: the public key
 * uncompressed (65 bytes), the private key 32 bytes, both base64url. Made here with `node:crypto`
 * so that a server's start does not load `web-push`, needed only to send a notification.
 */
async function newVapidKeys(): Promise<string> {
  const curve = createECDH("prime256v1");
  curve.generateKeys();
  const privateKey = curve.getPrivateKey();
  // A private key with leading zero bytes comes back shorter; VAPID's is always 32 bytes.
  const padded = Buffer.concat([Buffer.alloc(32 - privateKey.length), privateKey]);
  return JSON.stringify({ publicKey: curve.getPublicKey().toString("base64url"), privateKey: padded.toString("base64url") });
}

/**
 * Every kind, in creation order. `aws-credentials` starts as a copy of the session secret because
 * the AWS endpoints derived their keys from it before: existing temporary credentials and shard
 * iterators stay valid. It is kept apart so that rotating the session secret does not invalidate
 * AWS credentials mid-flight.
 */
export const SERVER_KEY_KINDS: readonly ServerKeyKindSpec[] = [
  { kind: "token-signing", generate: generateSigningKeyMaterial, keyIdOf: signingKeyId, legacyFile: "signing-key.jwk.json", rotates: true },
  { kind: "session", generate: randomSecret, keyIdOf: randomKeyId, legacyFile: "session-secret", rotates: true },
  { kind: "aws-credentials", generate: async (chosen) => chosen.get("session") ?? randomSecret(), keyIdOf: randomKeyId, legacyFile: "session-secret", rotates: false },
  { kind: "vapid", generate: newVapidKeys, keyIdOf: randomKeyId, legacyFile: "vapid.json", rotates: false },
  { kind: "push-webhook", generate: randomSecret, keyIdOf: randomKeyId, legacyFile: "push-webhook-secret", rotates: false },
];

/** The text of a legacy key file, trimmed, or null when the data directory has none. */
export async function readLegacyKeyFile(dataDir: string, file: string): Promise<string | null> {
  try {
    return (await readFile(join(dataDir, "keys", file), "utf8")).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Decodes a base64url secret of at least 32 bytes (session and AWS kinds). */
export function decodeSecret(material: string, kind: ServerKeyKind): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(material, "base64url"));
  if (bytes.length < 32) throw new Error(`the stored ${kind} key holds fewer than 32 bytes`);
  return bytes;
}
