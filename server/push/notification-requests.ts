/**
 * A silent notification as an HTTP request, per platform. The notification names what changed and
 * never carries record values: a push service or gateway sees only that a dataset moved on.
 *
 * - WEB_PUSH: RFC 8030 request to the subscription's endpoint, payload encrypted for the browser
 *   (RFC 8291, aes128gcm) and signed with our VAPID key (RFC 8292), built by `web-push` (loaded by
 *   the first Web Push notification, not at start: most servers never send one).
 * - WEBHOOK: JSON POSTed to the device's gateway URL, signed exactly like the event stream's
 *   webhooks (`server/stream/signature.ts`: `x-syncpool-timestamp` and `x-syncpool-signature:
 *   v1=<HMAC-SHA256 of "<timestamp>.<body>">`), so a gateway verifies both with one function.
 */
import { createHash } from "node:crypto";
import type { RegisteredDevice } from "../storage/device-store.js";
import { signatureHeaders } from "../stream/signature.js";
import type { PushSecrets } from "./push-secrets.js";

/** What a device is told (Cognito's push sync message). */
export interface PushNotification {
  identityPoolId: string;
  identityId: string;
  datasetName: string;
  syncCount: number;
}

/** An HTTP POST, ready to send. */
export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** How long a push service keeps an undelivered notification: a day; after that the device syncs anyway when it runs. */
export const WEB_PUSH_TTL_SECONDS = 24 * 60 * 60;

/** The delivery id header: the same on every retry of one notification, so a gateway can drop repeats. */
export const WEBHOOK_DELIVERY_HEADER = "x-syncpool-delivery";

/**
 * The Web Push request for `device`. Its `Topic` is derived from the dataset name, so a push service
 * holding an undelivered notification for the same dataset replaces it with the newer one.
 */
export async function webPushRequest(device: RegisteredDevice, notification: PushNotification, secrets: PushSecrets, subject: string): Promise<OutgoingRequest> {
  const { default: webpush } = await import("web-push");
  const details = webpush.generateRequestDetails(
    { endpoint: device.url, keys: { p256dh: device.p256dh ?? "", auth: device.auth ?? "" } },
    JSON.stringify(notification),
    {
      vapidDetails: { subject, publicKey: secrets.vapidPublicKey, privateKey: secrets.vapidPrivateKey },
      TTL: WEB_PUSH_TTL_SECONDS,
      contentEncoding: "aes128gcm",
      urgency: "normal",
      topic: createHash("sha256").update(notification.datasetName).digest("base64url").slice(0, 32),
    },
  );
  const headers = Object.fromEntries(Object.entries(details.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return { url: details.endpoint, headers, body: details.body ?? Buffer.alloc(0) };
}

/**
 * The webhook request for `device`: `{notification, deviceId, token}` as JSON, where `token` is
 * the device token the app registered (what the gateway relays to APNs or FCM).
 */
export function webhookRequest(
  device: RegisteredDevice,
  notification: PushNotification,
  secret: string,
  deliveryId: string,
  nowMs: number,
): OutgoingRequest {
  const text = JSON.stringify({ notification, deviceId: device.deviceId, token: device.token });
  return {
    url: device.url,
    headers: { "content-type": "application/json", ...signatureHeaders(secret, text, nowMs), [WEBHOOK_DELIVERY_HEADER]: deliveryId },
    body: Buffer.from(text, "utf8"),
  };
}
