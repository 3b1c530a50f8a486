/**
 * WEBHOOK devices against a local gateway that checks the signature as the docs tell gateways
 * to, with the server's own `verifySignature`.
 * The gateway listens on a port (the server's deliveries are real HTTP); the server runs in-
 * process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifySignature } from "../../server/index.js";
import { DEFAULT_PUSH_CONFIG } from "../../server/push/push-config.js";
import { startReceiver, type Receiver } from "../helpers/push-receivers.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

const SECRET = "webhook-secret-for-tests-0123456789abcdef";
const REGISTER = `mutation ($input: RegisterDeviceInput!) { registerDevice(input: $input) { deviceId } }`;
const SUBSCRIBE = `mutation ($dataset: String!, $deviceId: String!) { subscribeToDataset(dataset: $dataset, deviceId: $deviceId) }`;

describe("webhook notifications", () => {
  let server: InProcessServer;
  let gateway: Receiver;
  let alice: { identityId: string; api: SyncApi };

  async function registerHook(deviceId: string, dataset: string, token = `apns-${deviceId}`): Promise<void> {
    await alice.api.call(REGISTER, { input: { platform: "WEBHOOK", deviceId, url: `${gateway.url}/relay/${deviceId}`, token } });
    await alice.api.call(SUBSCRIBE, { dataset, deviceId });
  }

  beforeAll(async () => {
    gateway = await startReceiver(204);
    server = await startInProcessServer({
      // The gateway listens on loopback: allowed as an operator allows an on-premises gateway.
      config: { outbound: { allowPrivateAddresses: true }, push: { ...DEFAULT_PUSH_CONFIG, allowHttpEndpoints: true, webhookOrigins: [gateway.url], webhookSecret: SECRET, retryBaseMs: 10, retryMaxMs: 40 } },
    });
    const session = await server.signInGuest();
    alice = { identityId: session.identityId, api: syncApi(server, session.token) };
  });
  afterAll(async () => {
    await server?.close();
    await gateway?.close();
  });

  it("POSTs a signed, silent notification with the device token to every other subscribed device", async () => {
    await registerHook("iphone", "notes");
    await registerHook("ipad", "notes");
    const pushed = await alice.api.push({ dataset: "notes", deviceId: "ipad", patches: [{ op: "REPLACE", key: "pin", value: "1234" }] });

    const request = await gateway.requests.next();
    expect(request.path).toBe("/relay/iphone");
    expect(request.headers["content-type"]).toBe("application/json");
    const body = request.body.toString("utf8");
    expect(verifySignature({ secret: SECRET, body, timestamp: request.headers["x-syncpool-timestamp"] as string, signature: request.headers["x-syncpool-signature"] as string })).toBe(true);
    expect(verifySignature({ secret: "another secret", body, timestamp: request.headers["x-syncpool-timestamp"] as string, signature: request.headers["x-syncpool-signature"] as string })).toBe(false);
    expect(JSON.parse(body)).toEqual({
      notification: { identityPoolId: "default", identityId: alice.identityId, datasetName: "notes", syncCount: pushed.datasetSyncCount },
      deviceId: "iphone",
      token: "apns-iphone",
    });
    expect(body).not.toContain("1234");
    // Deliveries run in the server's queue: once it is idle, every request it would send was sent.
    await server.server.push.notifier.idle();
    expect(gateway.requests.unread()).toEqual([]);
  });

  it("keeps the delivery id across retries so a gateway can drop repeats", async () => {
    await registerHook("pixel", "retry");
    gateway.respondWith("/relay/pixel", 502);
    await alice.api.push({ dataset: "retry", deviceId: "ipad", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    const [first, second] = [await gateway.requests.next(), await gateway.requests.next()];
    expect(second.headers["x-syncpool-delivery"]).toBe(first.headers["x-syncpool-delivery"]);
  });

  it("unregisters a device whose gateway answers 404", async () => {
    await registerHook("lost", "lost");
    gateway.respondWith("/relay/lost", 404);
    await alice.api.push({ dataset: "lost", deviceId: "ipad", patches: [{ op: "REPLACE", key: "a", value: "1" }] });
    await gateway.requests.next();
    await server.server.push.notifier.idle();
    const { registeredDevices } = await alice.api.call<{ registeredDevices: Array<{ deviceId: string }> }>("{ registeredDevices { deviceId } }");
    expect(registeredDevices.map((device) => device.deviceId)).not.toContain("lost");
  });

  it("refuses a webhook url outside the allowed gateway origins", async () => {
    await expect(
      alice.api.call(REGISTER, { input: { platform: "WEBHOOK", deviceId: "evil", url: "http://169.254.169.254/latest/meta-data" } }),
    ).rejects.toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "input.url" } });
  });
});
