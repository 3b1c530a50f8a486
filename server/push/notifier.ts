/**
 * Notifies registered devices of committed changes, in the background. For each change: find the
 * identity's devices subscribed to the dataset, skip the writer's own device (its push `deviceId`
 * is its registered `deviceId`), and deliver a silent notification to each of the others.
 *
 * Contract: `notify` returns at once and never throws; it is called after the commit, so a slow or
 * failing push service never slows or fails a push. Deliveries retry with capped exponential
 * backoff (and jitter, honouring `Retry-After`) on network errors, 408, 429 and 5xx; an endpoint
 * answering 404 or 410 is gone for good, so the device is unregistered; any other answer is
 * logged and dropped. Notifications are hints held in memory only (see `delivery-queue.ts`).
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../logger.js";
import type { DeviceStore, RegisteredDevice } from "../storage/device-store.js";
import type { CommittedChange } from "../sync/types.js";
import { DeliveryQueue } from "./delivery-queue.js";
import type { HttpPost } from "./http-post.js";
import { type OutgoingRequest, type PushNotification, webhookRequest, webPushRequest } from "./notification-requests.js";
import type { PushConfig } from "./push-config.js";
import type { PushSecrets } from "./push-secrets.js";

/** What the notifier needs: whom to notify (storage), how to sign and send, and the settings. */
export interface NotifierDeps {
  storage: Pick<DeviceStore, "listSubscribedDevices" | "deleteDevice">;
  secrets: PushSecrets;
  config: Pick<PushConfig, "vapidSubject" | "deliveryAttempts" | "retryBaseMs" | "retryMaxMs" | "maxQueuedDeliveries">;
  post: HttpPost;
  logger: Logger;
  /** Server time, epoch ms (webhook signature timestamps). */
  now: () => number;
  /** In [0, 1), for retry jitter; tests pass a constant. */
  random?: () => number;
}

/** The background notifier. */
export interface Notifier {
  /** Schedules notifications for `change`; returns at once, never throws. */
  notify(change: CommittedChange): void;
  /** Resolves when no delivery is waiting, scheduled or running. */
  idle(): Promise<void>;
  /** Drops pending deliveries and retries, waits for those in flight. */
  close(): Promise<void>;
}

/** Deliveries running at once, over all devices. */
const CONCURRENT_DELIVERIES = 16;

/** Builds the notifier over the device store and an HTTP client. */
export function createNotifier(deps: NotifierDeps): Notifier {
  const { logger, config } = deps;
  const random = deps.random ?? Math.random;
  let dropped = 0;
  const queue = new DeliveryQueue({
    maxQueued: config.maxQueuedDeliveries,
    concurrency: CONCURRENT_DELIVERIES,
    onDropped: () => {
      // Logged on the first drop and then every 1000th: a flood must not become a log flood.
      if (dropped++ % 1000 === 0) logger.warn({ dropped, maxQueued: config.maxQueuedDeliveries }, "push delivery queue full: notifications dropped");
    },
    onError: (error) => logger.error({ err: error }, "push delivery job failed unexpectedly"),
  });

  const fanOut = async (change: CommittedChange) => {
    let devices: RegisteredDevice[];
    try {
      devices = await deps.storage.listSubscribedDevices(change.identityId, change.dataset);
    } catch (error) {
      logger.warn({ err: error, dataset: change.dataset }, "push: could not list subscribed devices; notifications skipped");
      return;
    }
    const notification: PushNotification = {
      identityPoolId: change.poolId,
      identityId: change.identityId,
      datasetName: change.dataset,
      syncCount: change.syncCount,
    };
    for (const device of devices) {
      if (change.deviceId !== null && device.deviceId === change.deviceId) continue; // the writer knows
      const deliveryId = randomUUID();
      queue.add(() => deliver(device, notification, deliveryId, 1));
    }
  };

  const deliver = async (device: RegisteredDevice, notification: PushNotification, deliveryId: string, attempt: number): Promise<void> => {
    const where = { deviceId: device.deviceId, platform: device.platform, origin: new URL(device.url).origin, attempt };
    let request: OutgoingRequest;
    try {
      request =
        device.platform === "WEB_PUSH"
          ? await webPushRequest(device, notification, deps.secrets, config.vapidSubject)
          : webhookRequest(device, notification, deps.secrets.webhookSecret, deliveryId, deps.now());
    } catch (error) {
      logger.warn({ ...where, err: error }, "push: could not build the notification (bad device keys?); dropped");
      return;
    }
    const outcome = await deps.post(request);
    const { status } = outcome;
    if (status >= 200 && status < 300) return logger.debug({ ...where, status }, "push notification delivered");
    if (status === 404 || status === 410) {
      // The push service (or gateway) says this endpoint is gone for good: stop sending to it.
      await deps.storage.deleteDevice(notification.identityId, device.deviceId, device.url).then(
        (removed) => removed && logger.info({ ...where, status }, "push endpoint gone: device unregistered"),
        (error: unknown) => logger.warn({ ...where, err: error }, "push endpoint gone, but unregistering the device failed"),
      );
      return;
    }
    const retryable = status === 0 || status === 408 || status === 429 || status >= 500;
    if (retryable && attempt < config.deliveryAttempts) {
      const delayMs = retryDelayMs(attempt, outcome.retryAfterMs, config, random);
      queue.addLater(delayMs, () => deliver(device, notification, deliveryId, attempt + 1));
      return logger.debug({ ...where, status, error: outcome.error, delayMs }, "push delivery failed; will retry");
    }
    logger.warn({ ...where, status, error: outcome.error }, retryable ? "push delivery failed; out of attempts" : "push delivery refused; dropped");
  };

  return {
    notify(change) {
      queue.add(() => fanOut(change));
    },
    idle: () => queue.idle(),
    close: () => queue.close(),
  };
}

/**
 * Capped exponential backoff with jitter: base * 2^(attempt-1), capped, then scaled into
 * [50%, 100%] so retries of many devices spread out. A `Retry-After` is honoured up to the cap.
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | null, config: Pick<PushConfig, "retryBaseMs" | "retryMaxMs">, random: () => number): number {
  const exponential = Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** (attempt - 1));
  const jittered = Math.round(exponential * (0.5 + random() / 2));
  return retryAfterMs === null ? jittered : Math.min(config.retryMaxMs, Math.max(jittered, retryAfterMs));
}
