/**
 * Registered WEB_PUSH devices against a local push-service stub: the stub checks the VAPID JWT
 * with jose and the test decrypts the aes128gcm payload as a browser would.
 * The stub listens on a port (the server's deliveries are real HTTP); the server runs in-process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PUSH_CONFIG } from "../../server/push/push-config.js";
import { browserSubscription, decryptWebPush, startReceiver, verifyVapid, type BrowserSubscription, type Receiver } from "../helpers/push-receivers.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

const REGISTER = `mutation ($input: RegisterDeviceInput!) { registerDevice(input: $input) { deviceId } }`;
const SUBSCRIBE = `mutation ($dataset: String!, $deviceId: String!) { subscribeToDataset(dataset: $dataset, deviceId: $deviceId) }`;

describe("Web Push notifications", () => {
  let server: InProcessServer;
  let pushService: Receiver;
  let alice: { identityId: string; api: SyncApi };
  let vapidPublicKey: string;

  /** Registers `deviceId` of alice with a fresh browser subscription on the stub, subscribed to `dataset`. */
  async function registerBrowser(deviceId: string, dataset: string): Promise<BrowserSubscription> {
    const subscription = browserSubscription(pushService, `/push/${deviceId}`);
    await alice.api.call(REGISTER, { input: { platform: "WEB_PUSH", deviceId, subscription: { endpoint: subscription.endpoint, keys: subscription.keys } } });
    await alice.api.call(SUBSCRIBE, { dataset, deviceId });
    return subscription;
  }

  beforeAll(async () => {
    pushService = await startReceiver();
    server = await startInProcessServer({
      // The push service is a loopback receiver: an on-premises push service, as an operator would allow it.
      config: { outbound: { allowPrivateAddresses: true }, push: { ...DEFAULT_PUSH_CONFIG, allowHttpEndpoints: true, retryBaseMs: 10, retryMaxMs: 40, pushServiceOrigins: [pushService.url] } },
    });
    const session = await server.signInGuest();
    alice = { identityId: session.identityId, api: syncApi(server, session.token) };
    vapidPublicKey = (await alice.api.call<{ webPushPublicKey: string }>("{ webPushPublicKey }")).webPushPublicKey;
  });
  afterAll(async () => {
    await server?.close();
    await pushService?.close();
  });

  it("sends other devices a VAPID-signed, encrypted, silent notification, and not the writer's own device", async () => {
    const phone = await registerBrowser("phone", "notes");
    await registerBrowser("laptop", "notes");
    const pushed = await alice.api.push({ dataset: "notes", deviceId: "laptop", patches: [{ op: "REPLACE", key: "secret", value: "record values never travel" }] });

    const request = await pushService.requests.next();
    expect(request.path).toBe("/push/phone");
    expect(request.headers).toMatchObject({ "content-encoding": "aes128gcm", ttl: "86400", urgency: "normal", "content-type": "application/octet-stream" });
    const claims = await verifyVapid(request.headers.authorization, vapidPublicKey, pushService.url);
    expect(claims.sub).toBe(DEFAULT_PUSH_CONFIG.vapidSubject);
    expect(claims.exp! * 1000).toBeGreaterThan(Date.now());
    expect(claims.exp! * 1000).toBeLessThanOrEqual(Date.now() + 24 * 3600 * 1000);

    const payload = decryptWebPush(request.body, phone);
    expect(JSON.parse(payload)).toEqual({ identityPoolId: "default", identityId: alice.identityId, datasetName: "notes", syncCount: pushed.datasetSyncCount });
    // Deliveries run in the server's queue: once it is idle, every request it would send was sent.
    await server.server.push.notifier.idle();
    expect(pushService.requests.unread()).toEqual([]);
  });

  it("notifies only devices subscribed to the changed dataset", async () => {
    await registerBrowser("tablet", "todo");
    await alice.api.push({ dataset: "todo", deviceId: "some-other-device", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    expect((await pushService.requests.next()).path).toBe("/push/tablet");
    // Deliveries run in the server's queue: once it is idle, every request it would send was sent.
    await server.server.push.notifier.idle();
    expect(pushService.requests.unread()).toEqual([]);
  });

  it("retries a push service that failed, and delivers", async () => {
    await registerBrowser("watch", "retry");
    pushService.respondWith("/push/watch", 503, 500);
    await alice.api.push({ dataset: "retry", deviceId: "laptop", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    const attempts = [await pushService.requests.next(), await pushService.requests.next(), await pushService.requests.next()];
    expect(attempts.map((attempt) => attempt.path)).toEqual(["/push/watch", "/push/watch", "/push/watch"]);
    // Deliveries run in the server's queue: once it is idle, every request it would send was sent.
    await server.server.push.notifier.idle();
    expect(pushService.requests.unread()).toEqual([]);
  });

  it("unregisters a device whose push subscription is gone (410)", async () => {
    await registerBrowser("old-browser", "gone");
    pushService.respondWith("/push/old-browser", 410);
    await alice.api.push({ dataset: "gone", deviceId: "laptop", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    expect((await pushService.requests.next()).path).toBe("/push/old-browser");
    await server.server.push.notifier.idle();
    const { registeredDevices } = await alice.api.call<{ registeredDevices: Array<{ deviceId: string }> }>("{ registeredDevices { deviceId } }");
    expect(registeredDevices.map((device) => device.deviceId)).not.toContain("old-browser");
    await alice.api.push({ dataset: "gone", deviceId: "laptop", patches: [{ op: "REPLACE", key: "a", value: "2" }] });
    await server.server.push.notifier.idle();
    expect(pushService.requests.unread()).toEqual([]);
  });

  it("never slows or fails a push when the push service hangs", async () => {
    await registerBrowser("frozen", "frozen");
    pushService.respondWith("/push/frozen", 0);
    const pushed = alice.api.push({ dataset: "frozen", deviceId: "laptop", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    expect((await pushService.requests.next()).path).toBe("/push/frozen");
    await pushed;
    // Acknowledged while the push service still holds the delivery unanswered: the push did not wait for it.
    let deliveriesSettled = false;
    void server.server.push.notifier.idle().then(() => (deliveriesSettled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(deliveriesSettled).toBe(false);
  });
});
