/**
 * Push's secrets: the VAPID key pair that signs Web Push requests (its public half is what
 * browsers subscribe with, so it must stay the same across restarts and instances) and the HMAC
 * key of webhook signatures. Each comes from the configuration when set, else from the server keys
 * kept in the database (`server/keys/key-ring.ts`), shared by every instance.
 */
import type { PushConfig } from "./push-config.js";

/** The keys push deliveries are made with. Only `vapidPublicKey` may be published. */
export interface PushSecrets {
  /** base64url uncompressed P-256 point: the `applicationServerKey` browsers subscribe with. */
  vapidPublicKey: string;
  /** base64url P-256 private scalar. */
  vapidPrivateKey: string;
  /** HMAC-SHA256 key of the `x-syncpool-signature` header on webhook notifications. */
  webhookSecret: string;
}

/** The push secrets as stored among the server keys. */
export interface StoredPushSecrets {
  vapid: { publicKey: string; privateKey: string };
  webhookSecret: string;
}

/** The configured secrets where set, the stored ones otherwise. */
export function resolvePushSecrets(stored: StoredPushSecrets, config: Pick<PushConfig, "vapidPublicKey" | "vapidPrivateKey" | "webhookSecret">): PushSecrets {
  const configuredVapid = config.vapidPublicKey !== null && config.vapidPrivateKey !== null;
  return {
    vapidPublicKey: configuredVapid ? config.vapidPublicKey! : stored.vapid.publicKey,
    vapidPrivateKey: configuredVapid ? config.vapidPrivateKey! : stored.vapid.privateKey,
    webhookSecret: config.webhookSecret ?? stored.webhookSecret,
  };
}
