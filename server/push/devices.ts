/**
 * Registered devices (Cognito's RegisterDevice, SubscribeToDataset, UnsubscribeFromDataset and
 * unregistering): the rules, over `DeviceStore`. Everything is scoped to the caller's identity.
 *
 * Endpoint rules, because the server will POST to whatever a client registers: Web Push endpoints
 * must be https on a browser push service's origin (`SYNCPOOL_PUSH_SERVICE_ORIGINS`), webhook
 * URLs must be on an origin the operator allowed (`SYNCPOOL_PUSH_WEBHOOK_ORIGINS`); `http:` only
 * with `SYNCPOOL_PUSH_ALLOW_HTTP=true`. Either must not name or resolve to a non-public address
 * (unless `SYNCPOOL_OUTBOUND_ALLOW_PRIVATE=true`); delivery checks the addresses again.
 */
import { randomUUID } from "node:crypto";
import { SyncpoolError } from "../../core/errors.js";
import { assertDatasetName, assertDeviceId, assertWellFormed } from "../../core/limits.js";
import { checkOutboundUrl, OutboundRefused, type OutboundPolicy } from "../outbound-http.js";
import type { DevicePlatform, DeviceStore, RegisteredDevice } from "../storage/device-store.js";
import type { Caller } from "../sync/types.js";
import { originAllowed, type PushConfig } from "./push-config.js";

/** What the device operations need. */
export interface DeviceDeps {
  storage: DeviceStore;
  config: Pick<PushConfig, "maxDevicesPerIdentity" | "webhookOrigins" | "allowHttpEndpoints" | "pushServiceOrigins">;
  now: () => number;
  /** What registered URLs may reach; private addresses are refused unless it allows them. */
  outbound: OutboundPolicy;
}

/** `RegisterDeviceInput` as GraphQL delivers it (types checked, meaning not). */
export interface RegisterDeviceInput {
  platform: DevicePlatform;
  deviceId?: string | null;
  subscription?: { endpoint: string; keys: { p256dh: string; auth: string } } | null;
  url?: string | null;
  token?: string | null;
}

/** A device as `registeredDevices` answers it. */
export interface DeviceInfo {
  deviceId: string;
  platform: DevicePlatform;
  datasets: string[];
  createdAt: number;
  updatedAt: number;
}

const MAX_URL_LENGTH = 2048;
const MAX_TOKEN_LENGTH = 4096;

/**
 * Registers a device, or renews the registration of the caller's device with the same id.
 * @throws SyncpoolError BAD_USER_INPUT (field named) for a malformed or disallowed endpoint,
 *   LIMIT_EXCEEDED when a new device would pass `maxDevicesPerIdentity`.
 */
export async function registerDevice(deps: DeviceDeps, caller: Caller, input: RegisterDeviceInput): Promise<{ deviceId: string }> {
  const deviceId = input.deviceId ?? randomUUID();
  assertDeviceId(deviceId, "input.deviceId");
  const target = input.platform === "WEB_PUSH" ? checkWebPush(deps, input) : checkWebhook(deps, input);
  await checkAddresses(deps, target.url!, input.platform === "WEB_PUSH" ? "input.subscription.endpoint" : "input.url");

  const existing = await deps.storage.getDevice(caller.identityId, deviceId);
  if (!existing) {
    const count = (await deps.storage.listDevices(caller.identityId)).length;
    if (count >= deps.config.maxDevicesPerIdentity) {
      throw new SyncpoolError("LIMIT_EXCEEDED", `devices: ${count + 1} exceeds the limit of ${deps.config.maxDevicesPerIdentity} per identity`, {
        limit: "maxDevicesPerIdentity",
        max: deps.config.maxDevicesPerIdentity,
        actual: count + 1,
      });
    }
  }
  const now = deps.now();
  await deps.storage.saveDevice({
    identityId: caller.identityId,
    deviceId,
    poolId: caller.poolId,
    platform: input.platform,
    ...target,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  return { deviceId };
}

/**
 * Subscribes one of the caller's devices to a dataset. A device follows at most as many datasets
 * as the identity may have.
 * @throws SyncpoolError NOT_FOUND for a device the caller has not registered, LIMIT_EXCEEDED.
 */
export async function subscribeToDataset(deps: DeviceDeps, caller: Caller, dataset: string, deviceId: string): Promise<boolean> {
  assertDatasetName(dataset, "dataset");
  await requireDevice(deps, caller, deviceId);
  const datasets = await deps.storage.listDeviceDatasets(caller.identityId, deviceId);
  if (!datasets.includes(dataset) && datasets.length >= caller.limits.maxDatasets) {
    throw new SyncpoolError("LIMIT_EXCEEDED", `dataset subscriptions: ${datasets.length + 1} exceeds the limit of ${caller.limits.maxDatasets} per device`, {
      limit: "maxDatasets",
      max: caller.limits.maxDatasets,
      actual: datasets.length + 1,
    });
  }
  await deps.storage.subscribeDevice(caller.identityId, deviceId, dataset, deps.now());
  return true;
}

/** Unsubscribes one of the caller's devices; false when it was not subscribed. */
export async function unsubscribeFromDataset(deps: DeviceDeps, caller: Caller, dataset: string, deviceId: string): Promise<boolean> {
  assertDatasetName(dataset, "dataset");
  assertDeviceId(deviceId, "deviceId");
  return deps.storage.unsubscribeDevice(caller.identityId, deviceId, dataset);
}

/** Removes one of the caller's devices and its subscriptions; false when it was not registered. */
export async function unregisterDevice(deps: DeviceDeps, caller: Caller, deviceId: string): Promise<boolean> {
  assertDeviceId(deviceId, "deviceId");
  return deps.storage.deleteDevice(caller.identityId, deviceId);
}

/** The caller's devices with the datasets each follows. */
export async function listRegisteredDevices(deps: DeviceDeps, caller: Caller): Promise<DeviceInfo[]> {
  const devices = await deps.storage.listDevices(caller.identityId);
  return Promise.all(
    devices.map(async (device) => ({
      deviceId: device.deviceId,
      platform: device.platform,
      datasets: await deps.storage.listDeviceDatasets(caller.identityId, device.deviceId),
      createdAt: device.createdAt,
      updatedAt: device.updatedAt,
    })),
  );
}

async function requireDevice(deps: DeviceDeps, caller: Caller, deviceId: string): Promise<RegisteredDevice> {
  assertDeviceId(deviceId, "deviceId");
  const device = await deps.storage.getDevice(caller.identityId, deviceId);
  if (!device) throw new SyncpoolError("NOT_FOUND", "no registered device with this deviceId: call registerDevice first", { field: "deviceId" });
  return device;
}

type Target = Pick<RegisteredDevice, "url" | "p256dh" | "auth" | "token">;

function checkWebPush(deps: DeviceDeps, input: RegisterDeviceInput): Target {
  if (input.url != null || input.token != null) throw badInput("input.url", "url and token are for WEBHOOK devices; WEB_PUSH takes subscription");
  if (!input.subscription) throw badInput("input.subscription", "WEB_PUSH needs the browser's push subscription");
  const { endpoint, keys } = input.subscription;
  const url = checkUrl(deps, endpoint, "input.subscription.endpoint");
  if (!originAllowed(new URL(url), deps.config.pushServiceOrigins)) {
    throw badInput("input.subscription.endpoint", "this endpoint is not on a known push service's origin (SYNCPOOL_PUSH_SERVICE_ORIGINS)");
  }
  const p256dh = decodeBase64Url(keys.p256dh);
  if (p256dh?.length !== 65 || p256dh[0] !== 4) {
    throw badInput("input.subscription.keys.p256dh", "expected an uncompressed P-256 public key, base64url (65 bytes)");
  }
  if (decodeBase64Url(keys.auth)?.length !== 16) throw badInput("input.subscription.keys.auth", "expected a 16-byte auth secret, base64url");
  return { url, p256dh: keys.p256dh, auth: keys.auth, token: null };
}

function checkWebhook(deps: DeviceDeps, input: RegisterDeviceInput): Target {
  if (input.subscription != null) throw badInput("input.subscription", "subscription is for WEB_PUSH devices; WEBHOOK takes url");
  if (input.url == null) throw badInput("input.url", "WEBHOOK needs the url of your push gateway");
  const url = checkUrl(deps, input.url, "input.url");
  if (!deps.config.webhookOrigins.includes(new URL(url).origin)) {
    throw badInput(
      "input.url",
      deps.config.webhookOrigins.length === 0
        ? "WEBHOOK devices are disabled on this server: the operator allows gateway origins with SYNCPOOL_PUSH_WEBHOOK_ORIGINS"
        : "this url's origin is not an allowed push gateway (SYNCPOOL_PUSH_WEBHOOK_ORIGINS)",
    );
  }
  const token = input.token ?? null;
  if (token !== null) {
    if (token.length < 1 || token.length > MAX_TOKEN_LENGTH) throw badInput("input.token", `expected 1 to ${MAX_TOKEN_LENGTH} characters`);
    assertWellFormed(token, "input.token");
  }
  return { url, p256dh: null, auth: null, token };
}

/** A URL the server may POST to: http(s) as configured, no credentials, bounded length. Returns its normal form. */
function checkUrl(deps: DeviceDeps, text: string, field: string): string {
  if (text.length > MAX_URL_LENGTH) throw badInput(field, `expected at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badInput(field, "expected an absolute URL");
  }
  const allowed = deps.config.allowHttpEndpoints ? ["https:", "http:"] : ["https:"];
  if (!allowed.includes(url.protocol)) throw badInput(field, `expected an ${allowed.join(" or ").replaceAll(":", "")} URL`);
  if (url.username !== "" || url.password !== "") throw badInput(field, "a URL with credentials is not accepted");
  return url.href;
}

/**
 * Refuses a URL whose host is, or resolves to, a non-public address. A host that does not resolve
 * now is accepted: it cannot be reached, and delivery resolves and checks it again every time.
 */
async function checkAddresses(deps: DeviceDeps, url: string, field: string): Promise<void> {
  try {
    await checkOutboundUrl(url, deps.outbound);
  } catch (error) {
    if (error instanceof OutboundRefused && error.reason === "unresolved") return;
    if (error instanceof OutboundRefused) throw badInput(field, `refused: ${error.message}`);
    throw error;
  }
}

function decodeBase64Url(text: string): Buffer | null {
  return /^[A-Za-z0-9_-]+={0,2}$/.test(text) ? Buffer.from(text, "base64url") : null;
}

function badInput(field: string, message: string): SyncpoolError {
  return new SyncpoolError("BAD_USER_INPUT", message, { field });
}
