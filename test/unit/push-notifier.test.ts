/**
 * The notifier's delivery rules with a fake HTTP client and an in-memory device list: who is
 * notified, retries with capped backoff, unregistering gone endpoints, and a bounded queue.
 */
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../server/logger.js";
import type { PostOutcome } from "../../server/push/http-post.js";
import type { OutgoingRequest } from "../../server/push/notification-requests.js";
import { createNotifier, retryDelayMs } from "../../server/push/notifier.js";
import { DEFAULT_PUSH_CONFIG } from "../../server/push/push-config.js";
import type { RegisteredDevice } from "../../server/storage/device-store.js";
import type { CommittedChange } from "../../server/sync/types.js";

const IDENTITY = "local:alice";

function hook(deviceId: string): RegisteredDevice {
  return { identityId: IDENTITY, deviceId, poolId: "default", platform: "WEBHOOK", url: `https://gw.example/${deviceId}`, p256dh: null, auth: null, token: `token-${deviceId}`, createdAt: 1, updatedAt: 1 };
}

const change = (deviceId: string | null, syncCount = 1): CommittedChange => ({
  poolId: "default",
  identityId: IDENTITY,
  dataset: "notes",
  syncCount,
  deviceId,
  mutationId: deviceId ? "m-1" : null,
  deleted: deviceId === null,
  records: [],
  origin: "device",
});

/** A notifier over `devices`, answering each POST with the next status for its URL (then 200). */
function setup(devices: RegisteredDevice[], answers: Record<string, number[]> = {}, overrides: Partial<typeof DEFAULT_PUSH_CONFIG> = {}) {
  const sent: OutgoingRequest[] = [];
  let listings = 0;
  const registered = new Map(devices.map((device) => [device.deviceId, device]));
  const notifier = createNotifier({
    storage: {
      listSubscribedDevices: async () => {
        listings += 1;
        return [...registered.values()];
      },
      deleteDevice: async (_identityId, deviceId, onlyIfUrl) => {
        const device = registered.get(deviceId);
        if (!device || (onlyIfUrl !== undefined && device.url !== onlyIfUrl)) return false;
        return registered.delete(deviceId);
      },
    },
    secrets: { vapidPublicKey: "", vapidPrivateKey: "", webhookSecret: "s".repeat(32) },
    config: { ...DEFAULT_PUSH_CONFIG, retryBaseMs: 5, retryMaxMs: 20, ...overrides },
    post: async (request): Promise<PostOutcome> => {
      sent.push(request);
      return { status: answers[request.url]?.shift() ?? 200, retryAfterMs: null };
    },
    logger: silentLogger(),
    now: () => 1_700_000_000_000,
    random: () => 0.5,
  });
  const bodies = () => sent.map((request) => JSON.parse(request.body.toString("utf8")) as { deviceId: string; notification: unknown });
  return { notifier, sent, registered, bodies, listings: () => listings };
}

describe("the push notifier", () => {
  it("notifies every subscribed device except the one that pushed", async () => {
    const { notifier, bodies } = setup([hook("phone"), hook("laptop"), hook("tablet")]);
    notifier.notify(change("laptop", 7));
    await notifier.idle();
    expect(bodies().map((body) => body.deviceId).sort()).toEqual(["phone", "tablet"]);
    expect(bodies()[0]!.notification).toEqual({ identityPoolId: "default", identityId: IDENTITY, datasetName: "notes", syncCount: 7 });
  });

  it("looks up whom to notify on a later turn, leaving the turn of the commit to its live subscribers", async () => {
    const { notifier, listings, sent } = setup([hook("phone")]);
    notifier.notify(change("laptop"));
    // What the committing turn still does after announcing: the live subscribers' sends, in microtasks.
    for (let step = 0; step < 10; step++) await Promise.resolve();
    expect(listings()).toBe(0);
    await notifier.idle();
    expect(listings()).toBe(1);
    expect(sent).toHaveLength(1);
  });

  it("notifies every device of a change no device made (a dataset deletion)", async () => {
    const { notifier, sent } = setup([hook("phone"), hook("laptop")]);
    notifier.notify(change(null));
    await notifier.idle();
    expect(sent).toHaveLength(2);
  });

  it("retries network errors, 429 and 5xx until it is delivered, with one delivery id", async () => {
    const { notifier, sent } = setup([hook("phone")], { "https://gw.example/phone": [0, 503, 429] });
    notifier.notify(change("laptop"));
    await notifier.idle();
    expect(sent).toHaveLength(4);
    expect(new Set(sent.map((request) => request.headers["x-syncpool-delivery"])).size).toBe(1);
  });

  it("gives up after the configured attempts", async () => {
    const { notifier, sent } = setup([hook("phone")], { "https://gw.example/phone": [500, 500, 500, 500, 500] }, { deliveryAttempts: 3 });
    notifier.notify(change("laptop"));
    await notifier.idle();
    expect(sent).toHaveLength(3);
  });

  it("does not retry a refusal that retrying cannot fix", async () => {
    const { notifier, sent, registered } = setup([hook("phone")], { "https://gw.example/phone": [400] });
    notifier.notify(change("laptop"));
    await notifier.idle();
    expect(sent).toHaveLength(1);
    expect(registered.has("phone")).toBe(true);
  });

  it("unregisters a device whose endpoint answers 404 or 410", async () => {
    const { notifier, registered } = setup([hook("phone"), hook("tablet")], { "https://gw.example/phone": [410], "https://gw.example/tablet": [404] });
    notifier.notify(change("laptop"));
    await notifier.idle();
    expect([...registered.keys()]).toEqual([]);
  });

  it("drops notifications beyond its queue bound instead of growing", async () => {
    const devices = Array.from({ length: 50 }, (_, index) => hook(`device-${index}`));
    const { notifier, sent } = setup(devices, {}, { maxQueuedDeliveries: 10 });
    notifier.notify(change("laptop"));
    await notifier.idle();
    expect(sent.length).toBeLessThan(50);
    expect(sent.length).toBeGreaterThan(0);
  });

  it("backs off exponentially with jitter, capped, honouring Retry-After up to the cap", () => {
    const config = { retryBaseMs: 1000, retryMaxMs: 60_000 };
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, null, config, () => 1 - Number.EPSILON))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(1, null, config, () => 0)).toBe(500);
    expect(retryDelayMs(10, null, config, () => 1 - Number.EPSILON)).toBe(60_000);
    expect(retryDelayMs(1, 30_000, config, () => 0)).toBe(30_000);
    expect(retryDelayMs(1, 3_600_000, config, () => 0)).toBe(60_000);
  });
});
