/**
 * Push settings: what the environment may set and the defaults. `server/config.ts` stays the only
 * reader of the environment: it spreads `pushEnvShape` into its schema and calls
 * `toPushConfig` on the parsed values, so a bad value is reported like any other setting.
 */
import { z } from "zod";

/** Live subscriptions, registered devices and delivery, as the server runs them. */
export interface PushConfig {
  /** Operations (subscriptions included) one graphql-ws connection may have open at once. */
  maxSubscriptionsPerConnection: number;
  /** Live connections (WebSockets and SSE streams) one identity may hold at once. */
  maxConnectionsPerIdentity: number;
  /** Live connections this process holds at once, from everyone (HTTP 429 beyond). */
  maxConnections: number;
  /** Live connections from one client address (an IPv6 /64) at once (HTTP 429 beyond). */
  maxConnectionsPerAddress: number;
  /**
   * Bytes that may wait for one slow connection (events queued for a subscription plus the
   * socket's send buffer) before it is dropped with close code 4413 instead of buffering more.
   */
  maxBufferedBytes: number;
  /** WebSocket ping interval; a socket that does not answer within one more interval is terminated. */
  keepAliveMs: number;
  /** Devices one identity may register. */
  maxDevicesPerIdentity: number;
  /** VAPID `sub`: a `mailto:` or `https:` contact for push services. */
  vapidSubject: string;
  /** VAPID key pair (base64url, as `web-push generate-vapid-keys` prints); null: kept in `<dataDir>/keys/vapid.json`. */
  vapidPublicKey: string | null;
  vapidPrivateKey: string | null;
  /** HMAC-SHA256 key of webhook signatures; null: kept in `<dataDir>/keys/push-webhook-secret`. Never log it. */
  webhookSecret: string | null;
  /**
   * Origins a WEB_PUSH subscription's endpoint may be on: the browsers' push services by default.
   * A host may start with `*.` (any subdomain). An on-premises push service is added here.
   */
  pushServiceOrigins: string[];
  /** Origins (`https://gateway.example.com`) a WEBHOOK device may name; empty refuses WEBHOOK registrations. */
  webhookOrigins: string[];
  /** Accept `http:` push endpoints and webhook URLs (tests, local development). Never in production. */
  allowHttpEndpoints: boolean;
  /** Attempts per notification and device, the first included. */
  deliveryAttempts: number;
  /** First retry delay; doubles per attempt (with jitter) up to `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Notifications waiting for delivery; beyond it new ones are dropped (they are hints) and logged. */
  maxQueuedDeliveries: number;
}

/** The push services of current browsers: Chrome and Edge (FCM), Firefox (autopush), Safari (Apple), legacy Edge (WNS). */
export const PUBLIC_PUSH_SERVICE_ORIGINS: readonly string[] = Object.freeze([
  "https://fcm.googleapis.com",
  "https://updates.push.services.mozilla.com",
  "https://web.push.apple.com",
  "https://*.notify.windows.com",
]);

/** Whether `url`'s origin is one of `origins`, where an origin's host may start with `*.` (any subdomain of the rest). */
export function originAllowed(url: URL, origins: readonly string[]): boolean {
  return origins.some((pattern) => {
    const wildcard = /^(https?:\/\/)\*\.(.+)$/.exec(pattern);
    if (!wildcard) return url.origin === pattern;
    const [, scheme, suffix] = wildcard;
    return url.origin.startsWith(scheme!) && url.origin.endsWith(`.${suffix}`) && !url.origin.slice(scheme!.length).includes("/");
  });
}

/** The defaults, also used by tests that replace a few fields. */
export const DEFAULT_PUSH_CONFIG: Readonly<PushConfig> = Object.freeze({
  maxSubscriptionsPerConnection: 25,
  maxConnectionsPerIdentity: 20,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 256,
  maxBufferedBytes: 1_048_576,
  keepAliveMs: 12_000,
  maxDevicesPerIdentity: 20,
  vapidSubject: "mailto:push@syncpool.invalid",
  vapidPublicKey: null,
  vapidPrivateKey: null,
  webhookSecret: null,
  pushServiceOrigins: [...PUBLIC_PUSH_SERVICE_ORIGINS],
  webhookOrigins: [],
  allowHttpEndpoints: false,
  deliveryAttempts: 5,
  retryBaseMs: 1000,
  retryMaxMs: 60_000,
  maxQueuedDeliveries: 10_000,
});

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `expected an integer from ${min} to ${max}` })
    .transform(Number)
    .pipe(z.number().min(min, { error: `expected an integer from ${min} to ${max}` }).max(max, { error: `expected an integer from ${min} to ${max}` }));

const origins = z
  .string()
  .transform((text) => text.split(",").map((part) => part.trim()).filter((part) => part !== ""))
  .pipe(
    z.array(
      z.url({ protocol: /^https?$/, error: "expected comma-separated http(s) origins" }).refine((url) => new URL(url).origin === url.replace(/\/$/, ""), {
        error: "expected origins only (scheme, host and port, no path)",
      }),
    ),
  );

/** The environment variables of push, for `server/config.ts`'s schema. */
export const pushEnvShape = {
  SYNCPOOL_PUSH_MAX_SUBSCRIPTIONS_PER_CONNECTION: int(1, 1000).optional(),
  SYNCPOOL_PUSH_MAX_CONNECTIONS_PER_IDENTITY: int(1, 100_000).optional(),
  SYNCPOOL_PUSH_MAX_CONNECTIONS: int(1, 1_000_000).optional(),
  SYNCPOOL_PUSH_MAX_CONNECTIONS_PER_ADDRESS: int(1, 1_000_000).optional(),
  SYNCPOOL_PUSH_MAX_BUFFERED_BYTES: int(65_536, 1_073_741_824).optional(),
  SYNCPOOL_PUSH_KEEPALIVE_MS: int(1000, 600_000).optional(),
  SYNCPOOL_PUSH_MAX_DEVICES_PER_IDENTITY: int(1, 1000).optional(),
  SYNCPOOL_VAPID_SUBJECT: z.string().regex(/^(mailto:.+|https:\/\/.+)$/, { error: "expected a mailto: or https: URL" }).optional(),
  SYNCPOOL_VAPID_PUBLIC_KEY: z.string().regex(/^[A-Za-z0-9_-]{87}$/, { error: "expected a base64url P-256 public key (87 characters)" }).optional(),
  SYNCPOOL_VAPID_PRIVATE_KEY: z.string().regex(/^[A-Za-z0-9_-]{43}$/, { error: "expected a base64url P-256 private key (43 characters)" }).optional(),
  SYNCPOOL_PUSH_WEBHOOK_SECRET: z.string().min(32, { error: "expected at least 32 characters" }).optional(),
  SYNCPOOL_PUSH_WEBHOOK_ORIGINS: origins.optional(),
  SYNCPOOL_PUSH_SERVICE_ORIGINS: z
    .string()
    .transform((text) => text.split(",").map((part) => part.trim()).filter((part) => part !== ""))
    .pipe(z.array(z.string().regex(/^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$/, { error: "expected comma-separated origins like https://push.example.com (a host may start with *.)" }))).optional(),
  SYNCPOOL_PUSH_ALLOW_HTTP: z.enum(["true", "false"], { error: "expected true or false" }).optional(),
  SYNCPOOL_PUSH_DELIVERY_ATTEMPTS: int(1, 20).optional(),
};

type PushEnv = { [K in keyof typeof pushEnvShape]?: z.output<(typeof pushEnvShape)[K]> };

/**
 * The push settings from parsed environment values. `fail` throws the caller's configuration
 * error; it is called when only one half of the VAPID key pair is set.
 */
export function toPushConfig(env: PushEnv, fail: (message: string) => never): PushConfig {
  if ((env.SYNCPOOL_VAPID_PUBLIC_KEY === undefined) !== (env.SYNCPOOL_VAPID_PRIVATE_KEY === undefined)) {
    fail("environment variable SYNCPOOL_VAPID_PUBLIC_KEY, SYNCPOOL_VAPID_PRIVATE_KEY: set both or neither");
  }
  const d = DEFAULT_PUSH_CONFIG;
  return {
    ...d,
    maxSubscriptionsPerConnection: env.SYNCPOOL_PUSH_MAX_SUBSCRIPTIONS_PER_CONNECTION ?? d.maxSubscriptionsPerConnection,
    maxConnectionsPerIdentity: env.SYNCPOOL_PUSH_MAX_CONNECTIONS_PER_IDENTITY ?? d.maxConnectionsPerIdentity,
    maxConnections: env.SYNCPOOL_PUSH_MAX_CONNECTIONS ?? d.maxConnections,
    maxConnectionsPerAddress: env.SYNCPOOL_PUSH_MAX_CONNECTIONS_PER_ADDRESS ?? d.maxConnectionsPerAddress,
    maxBufferedBytes: env.SYNCPOOL_PUSH_MAX_BUFFERED_BYTES ?? d.maxBufferedBytes,
    keepAliveMs: env.SYNCPOOL_PUSH_KEEPALIVE_MS ?? d.keepAliveMs,
    maxDevicesPerIdentity: env.SYNCPOOL_PUSH_MAX_DEVICES_PER_IDENTITY ?? d.maxDevicesPerIdentity,
    vapidSubject: env.SYNCPOOL_VAPID_SUBJECT ?? d.vapidSubject,
    vapidPublicKey: env.SYNCPOOL_VAPID_PUBLIC_KEY ?? null,
    vapidPrivateKey: env.SYNCPOOL_VAPID_PRIVATE_KEY ?? null,
    webhookSecret: env.SYNCPOOL_PUSH_WEBHOOK_SECRET ?? null,
    webhookOrigins: env.SYNCPOOL_PUSH_WEBHOOK_ORIGINS ?? [],
    pushServiceOrigins: env.SYNCPOOL_PUSH_SERVICE_ORIGINS ?? [...d.pushServiceOrigins],
    allowHttpEndpoints: env.SYNCPOOL_PUSH_ALLOW_HTTP === "true",
    deliveryAttempts: env.SYNCPOOL_PUSH_DELIVERY_ATTEMPTS ?? d.deliveryAttempts,
  };
}
