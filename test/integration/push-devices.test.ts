/**
 * Registering devices and their dataset subscriptions over GraphQL: validation, limits, renewal,
 * and that no identity can see or touch another's devices.
 * The push-service stub listens on a port, so device endpoints are real URLs; the server runs in-
 * process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PUSH_CONFIG } from "../../server/push/push-config.js";
import { browserSubscription, startReceiver, type Receiver } from "../helpers/push-receivers.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

const REGISTER = `mutation ($input: RegisterDeviceInput!) { registerDevice(input: $input) { deviceId } }`;
const SUBSCRIBE = `mutation ($dataset: String!, $deviceId: String!) { subscribeToDataset(dataset: $dataset, deviceId: $deviceId) }`;
const UNSUBSCRIBE = `mutation ($dataset: String!, $deviceId: String!) { unsubscribeFromDataset(dataset: $dataset, deviceId: $deviceId) }`;
const UNREGISTER = `mutation ($deviceId: String!) { unregisterDevice(deviceId: $deviceId) }`;
const DEVICES = `{ registeredDevices { deviceId platform datasets createdAt updatedAt } }`;

describe("registered devices", () => {
  let server: InProcessServer;
  let pushService: Receiver;
  let alice: SyncApi;
  let bob: SyncApi;
  const webPush = (deviceId?: string, endpointPath = "/push/x") => {
    const { endpoint, keys } = browserSubscription(pushService, endpointPath);
    return { platform: "WEB_PUSH", ...(deviceId ? { deviceId } : {}), subscription: { endpoint, keys } };
  };

  beforeAll(async () => {
    pushService = await startReceiver();
    server = await startInProcessServer({
      // The push service is a loopback receiver: an on-premises push service, as an operator would allow it.
      config: { outbound: { allowPrivateAddresses: true }, push: { ...DEFAULT_PUSH_CONFIG, allowHttpEndpoints: true, maxDevicesPerIdentity: 3, pushServiceOrigins: [pushService.url] } },
    });
    alice = syncApi(server, (await server.signInGuest()).token);
    bob = syncApi(server, (await server.signInGuest()).token);
  });
  afterAll(async () => {
    await server?.close();
    await pushService?.close();
  });

  it("registers a device under a generated id when none is given, and lists it", async () => {
    const { registerDevice } = await alice.call<{ registerDevice: { deviceId: string } }>(REGISTER, { input: webPush() });
    expect(registerDevice.deviceId).toMatch(/^[0-9a-f-]{36}$/);
    const { registeredDevices } = await alice.call<{ registeredDevices: unknown[] }>(DEVICES);
    expect(registeredDevices).toEqual([{ deviceId: registerDevice.deviceId, platform: "WEB_PUSH", datasets: [], createdAt: expect.any(Number), updatedAt: expect.any(Number) }]);
    await alice.call(UNREGISTER, { deviceId: registerDevice.deviceId });
  });

  it("renews a registration under the same id, keeping its subscriptions", async () => {
    await alice.call(REGISTER, { input: webPush("phone", "/push/old") });
    await alice.call(SUBSCRIBE, { dataset: "notes", deviceId: "phone" });
    await alice.call(REGISTER, { input: webPush("phone", "/push/new") });
    const { registeredDevices } = await alice.call<{ registeredDevices: Array<{ deviceId: string; datasets: string[] }> }>(DEVICES);
    expect(registeredDevices).toEqual([expect.objectContaining({ deviceId: "phone", datasets: ["notes"] })]);
  });

  it("subscribes and unsubscribes idempotently", async () => {
    expect(await alice.call(SUBSCRIBE, { dataset: "todo", deviceId: "phone" })).toEqual({ subscribeToDataset: true });
    expect(await alice.call(SUBSCRIBE, { dataset: "todo", deviceId: "phone" })).toEqual({ subscribeToDataset: true });
    expect(await alice.call(UNSUBSCRIBE, { dataset: "todo", deviceId: "phone" })).toEqual({ unsubscribeFromDataset: true });
    expect(await alice.call(UNSUBSCRIBE, { dataset: "todo", deviceId: "phone" })).toEqual({ unsubscribeFromDataset: false });
  });

  it("keeps each identity's devices to itself", async () => {
    expect(await bob.call(DEVICES)).toEqual({ registeredDevices: [] });
    await expect(bob.call(SUBSCRIBE, { dataset: "notes", deviceId: "phone" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await bob.call(UNREGISTER, { deviceId: "phone" })).toEqual({ unregisterDevice: false });
    expect(await bob.call(UNSUBSCRIBE, { dataset: "notes", deviceId: "phone" })).toEqual({ unsubscribeFromDataset: false });
    // Bob may use the same device id for a device of his own; Alice's stays hers.
    await bob.call(REGISTER, { input: webPush("phone", "/push/bob") });
    const { registeredDevices } = await alice.call<{ registeredDevices: Array<{ datasets: string[] }> }>(DEVICES);
    expect(registeredDevices[0]!.datasets).toEqual(["notes"]);
  });

  it("refuses malformed registrations, naming the field", async () => {
    const subscription = webPush("bad").subscription;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ platform: "WEB_PUSH", deviceId: "bad" }, "input.subscription"],
      [{ platform: "WEB_PUSH", deviceId: "bad", subscription: { ...subscription, endpoint: "not a url" } }, "input.subscription.endpoint"],
      [{ platform: "WEB_PUSH", deviceId: "bad", subscription: { ...subscription, endpoint: "ftp://push.example/x" } }, "input.subscription.endpoint"],
      [{ platform: "WEB_PUSH", deviceId: "bad", subscription: { ...subscription, keys: { ...subscription.keys, p256dh: "AAAA" } } }, "input.subscription.keys.p256dh"],
      [{ platform: "WEB_PUSH", deviceId: "bad", subscription: { ...subscription, keys: { ...subscription.keys, auth: "short" } } }, "input.subscription.keys.auth"],
      [{ platform: "WEB_PUSH", deviceId: "bad", subscription, url: "https://x.example" }, "input.url"],
      [{ platform: "WEBHOOK", deviceId: "bad" }, "input.url"],
      [{ platform: "WEBHOOK", deviceId: "bad", url: "https://gateway.example/push" }, "input.url"],
      [{ ...webPush(), deviceId: "" }, "input.deviceId"],
    ];
    for (const [input, field] of cases) {
      await expect(alice.call(REGISTER, { input }), JSON.stringify(input)).rejects.toMatchObject({ code: "BAD_USER_INPUT", extensions: { field } });
    }
    await expect(alice.call(SUBSCRIBE, { dataset: "bad name!", deviceId: "phone" })).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
  });

  it("limits the devices an identity may register", async () => {
    const carol = syncApi(server, (await server.signInGuest()).token);
    for (const id of ["a", "b", "c"]) await carol.call(REGISTER, { input: webPush(id) });
    await expect(carol.call(REGISTER, { input: webPush("d") })).rejects.toMatchObject({ code: "LIMIT_EXCEEDED", extensions: { limit: "maxDevicesPerIdentity", max: 3 } });
    await carol.call(REGISTER, { input: webPush("a", "/push/renewed") }); // renewing is not a new device
    await carol.call(UNREGISTER, { deviceId: "c" });
    await carol.call(REGISTER, { input: webPush("d") });
  });

  it("requires a token for every device operation", async () => {
    const anonymous = syncApi(server, undefined);
    await expect(anonymous.call(REGISTER, { input: webPush("x") })).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(anonymous.call(DEVICES)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("publishes the VAPID public key browsers subscribe with, without a token", async () => {
    const { webPushPublicKey } = await syncApi(server, undefined).call<{ webPushPublicKey: string }>("{ webPushPublicKey }");
    expect(Buffer.from(webPushPublicKey, "base64url")).toHaveLength(65);
  });
});
