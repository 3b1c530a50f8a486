/**
 * Push's secrets: the VAPID key pair that signs Web Push requests (its public half is what
 * browsers subscribe with, so it must stay the same across restarts and instances) and the HMAC
 * key of webhook signatures. Each comes from the configuration when set, else from
 * `<dataDir>/keys/` (created on first start, files 0600, next to the token signing key), like the
 * identity keys in `server/identity/keys.ts`. Several servers must share these files or settings.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import webpush from "web-push";
import type { PushConfig } from "./push-config.js";
import { readOrCreateSecretFile } from "../secret-file.js";

/** The keys push deliveries are made with. Only `vapidPublicKey` may be published. */
export interface PushSecrets {
  /** base64url uncompressed P-256 point: the `applicationServerKey` browsers subscribe with. */
  vapidPublicKey: string;
  /** base64url P-256 private scalar. */
  vapidPrivateKey: string;
  /** HMAC-SHA256 key of the `x-syncpool-signature` header on webhook notifications. */
  webhookSecret: string;
}

const VAPID_FILE = "vapid.json";
const WEBHOOK_SECRET_FILE = "push-webhook-secret";

/** Loads the configured secrets, creating the missing ones in `<dataDir>/keys/`. */
export async function loadPushSecrets(dataDir: string, config: Pick<PushConfig, "vapidPublicKey" | "vapidPrivateKey" | "webhookSecret">): Promise<PushSecrets> {
  const dir = join(dataDir, "keys");
  await mkdir(dir, { recursive: true, mode: 0o700 });

  let vapid: { publicKey: string; privateKey: string };
  if (config.vapidPublicKey !== null && config.vapidPrivateKey !== null) {
    vapid = { publicKey: config.vapidPublicKey, privateKey: config.vapidPrivateKey };
  } else {
    const file = join(dir, VAPID_FILE);
    const text = await readOrCreateSecretFile(file, async () => JSON.stringify(webpush.generateVAPIDKeys()));
    vapid = JSON.parse(text) as { publicKey: string; privateKey: string };
    if (typeof vapid.publicKey !== "string" || typeof vapid.privateKey !== "string") throw new Error(`${file} does not hold a VAPID key pair`);
  }

  const webhookSecret = config.webhookSecret ?? (await readOrCreateSecretFile(join(dir, WEBHOOK_SECRET_FILE), async () => randomBytes(32).toString("base64url"))).trim();
  return { vapidPublicKey: vapid.publicKey, vapidPrivateKey: vapid.privateKey, webhookSecret };
}
