/**
 * Registered push devices and their dataset subscriptions (Cognito's RegisterDevice and
 * SubscribeToDataset): the part of `Storage` that push notifications need. Kept as its own
 * interface so the device tables can be read about in one place; every backend reaches it as
 * `storage.devices`, written once in `sql-devices.ts`, checked by
 * `test/conformance/storage-suite-devices.ts`.
 *
 * Every method is scoped to one identity: a device id is only unique within its identity, and no
 * method can reach another identity's devices.
 */

/** How a registered device is reached. */
export type DevicePlatform = "WEB_PUSH" | "WEBHOOK";

/** A device registered for push notifications. */
export interface RegisteredDevice {
  identityId: string;
  /** The device's id, matched against the `deviceId` of pushes so a writer is not notified of its own change. */
  deviceId: string;
  /** The identity's pool, carried into each notification (`identityPoolId`). */
  poolId: string;
  platform: DevicePlatform;
  /** WEB_PUSH: the push service endpoint. WEBHOOK: the gateway URL notifications are POSTed to. */
  url: string;
  /** WEB_PUSH only: the subscription's P-256 public key (base64url); null for WEBHOOK. */
  p256dh: string | null;
  /** WEB_PUSH only: the subscription's auth secret (base64url); null for WEBHOOK. */
  auth: string | null;
  /** WEBHOOK only: an opaque device token (an APNs or FCM token) forwarded to the gateway. */
  token: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Storage of registered devices and the datasets each one is subscribed to. */
export interface DeviceStore {
  /**
   * Registers a device, or replaces the registration of the same (identity, device id), keeping
   * its `createdAt` and its dataset subscriptions (a browser renewing its push subscription).
   */
  saveDevice(device: RegisteredDevice): Promise<void>;
  /** The device, or null when the identity has no device with that id. */
  getDevice(identityId: string, deviceId: string): Promise<RegisteredDevice | null>;
  /** The identity's devices, ordered by device id. */
  listDevices(identityId: string): Promise<RegisteredDevice[]>;
  /**
   * Removes the device and its subscriptions; returns whether it existed. With `onlyIfUrl`, only
   * when the device is still registered at that URL: a delivery that learned an endpoint is gone
   * must not remove a registration the device renewed meanwhile.
   */
  deleteDevice(identityId: string, deviceId: string, onlyIfUrl?: string): Promise<boolean>;
  /**
   * Subscribes a registered device to a dataset (which need not exist yet). Idempotent.
   * @throws when the device is not registered.
   */
  subscribeDevice(identityId: string, deviceId: string, dataset: string, createdAt: number): Promise<void>;
  /** Removes one subscription; returns whether it existed. */
  unsubscribeDevice(identityId: string, deviceId: string, dataset: string): Promise<boolean>;
  /** The datasets a device is subscribed to, ordered by name. */
  listDeviceDatasets(identityId: string, deviceId: string): Promise<string[]>;
  /** The identity's devices subscribed to `dataset`, ordered by device id: who to notify of a change. */
  listSubscribedDevices(identityId: string, dataset: string): Promise<RegisteredDevice[]>;
}
