/**
 * Conformance: registered push devices and their dataset subscriptions (`DeviceStore`). Upserts
 * keep what a renewal must keep, deletes cascade, and nothing crosses from one identity to another.
 */
import { describe, expect, it } from "vitest";
import type { RegisteredDevice } from "../../server/storage/device-store.js";
import type { Storage } from "../../server/storage/storage.js";
import { BASE_MS, IDENTITY_A, IDENTITY_B } from "./storage-fixtures.js";

/** A WEB_PUSH device of IDENTITY_A with every field set. */
function makeDevice(deviceId: string, overrides: Partial<RegisteredDevice> = {}): RegisteredDevice {
  return {
    identityId: IDENTITY_A,
    deviceId,
    poolId: "default",
    platform: "WEB_PUSH",
    url: `https://push.example/send/${encodeURIComponent(deviceId)}`,
    p256dh: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
    auth: "tBHItJI5svbpez7KI4CCXg",
    token: null,
    createdAt: BASE_MS,
    updatedAt: BASE_MS,
    ...overrides,
  };
}

/** Registers the device tests; `storage` returns the current test's storage. */
export function describeDevices(storage: () => Storage): void {
  describe("registered devices", () => {
    it("returns a registered device exactly, for either platform", async () => {
      const web = makeDevice("phone");
      const hook = makeDevice("tablet", { platform: "WEBHOOK", url: "https://gateway.example/push", p256dh: null, auth: null, token: "apns:0f1e2d" });
      await storage().devices.saveDevice(web);
      await storage().devices.saveDevice(hook);
      expect(await storage().devices.getDevice(IDENTITY_A, "phone")).toEqual(web);
      expect(await storage().devices.getDevice(IDENTITY_A, "tablet")).toEqual(hook);
      expect(await storage().devices.getDevice(IDENTITY_A, "laptop")).toBeNull();
    });

    it("replaces a re-registered device, keeping its creation time and its subscriptions", async () => {
      await storage().devices.saveDevice(makeDevice("phone"));
      await storage().devices.subscribeDevice(IDENTITY_A, "phone", "notes", BASE_MS);
      const renewed = makeDevice("phone", { url: "https://push.example/renewed", createdAt: BASE_MS + 9000, updatedAt: BASE_MS + 9000 });
      await storage().devices.saveDevice(renewed);
      expect(await storage().devices.getDevice(IDENTITY_A, "phone")).toEqual({ ...renewed, createdAt: BASE_MS });
      expect(await storage().devices.listDeviceDatasets(IDENTITY_A, "phone")).toEqual(["notes"]);
    });

    it("lists an identity's devices by id and never another identity's", async () => {
      for (const id of ["b", "a", "c"]) await storage().devices.saveDevice(makeDevice(id));
      await storage().devices.saveDevice(makeDevice("z", { identityId: IDENTITY_B }));
      expect((await storage().devices.listDevices(IDENTITY_A)).map((device) => device.deviceId)).toEqual(["a", "b", "c"]);
      expect((await storage().devices.listDevices(IDENTITY_B)).map((device) => device.deviceId)).toEqual(["z"]);
      expect(await storage().devices.getDevice(IDENTITY_B, "a")).toBeNull();
    });

    it("keeps devices of two identities with the same device id apart", async () => {
      await storage().devices.saveDevice(makeDevice("phone"));
      await storage().devices.saveDevice(makeDevice("phone", { identityId: IDENTITY_B, url: "https://push.example/b" }));
      await storage().devices.subscribeDevice(IDENTITY_B, "phone", "notes", BASE_MS);
      expect(await storage().devices.listSubscribedDevices(IDENTITY_A, "notes")).toEqual([]);
      expect(await storage().devices.deleteDevice(IDENTITY_A, "phone")).toBe(true);
      expect((await storage().devices.getDevice(IDENTITY_B, "phone"))?.url).toBe("https://push.example/b");
      expect(await storage().devices.listDeviceDatasets(IDENTITY_B, "phone")).toEqual(["notes"]);
    });

    it("round-trips device ids and tokens holding U+0000 and astral characters", async () => {
      const odd = makeDevice("dev\u0000ice 🚀", { platform: "WEBHOOK", p256dh: null, auth: null, token: "tok\u0000\u0001en" });
      await storage().devices.saveDevice(odd);
      await storage().devices.saveDevice(makeDevice("dev"));
      await storage().devices.subscribeDevice(IDENTITY_A, odd.deviceId, "notes", BASE_MS);
      expect(await storage().devices.getDevice(IDENTITY_A, odd.deviceId)).toEqual(odd);
      expect(await storage().devices.listSubscribedDevices(IDENTITY_A, "notes")).toEqual([odd]);
      expect((await storage().devices.listDevices(IDENTITY_A)).map((device) => device.deviceId)).toEqual(["dev", odd.deviceId]);
    });
  });

  describe("dataset subscriptions of devices", () => {
    it("lists the devices subscribed to a dataset, by id, with their registration", async () => {
      const phone = makeDevice("phone");
      const tablet = makeDevice("tablet");
      await storage().devices.saveDevice(tablet);
      await storage().devices.saveDevice(phone);
      await storage().devices.saveDevice(makeDevice("laptop"));
      await storage().devices.subscribeDevice(IDENTITY_A, "tablet", "notes", BASE_MS);
      await storage().devices.subscribeDevice(IDENTITY_A, "phone", "notes", BASE_MS);
      await storage().devices.subscribeDevice(IDENTITY_A, "laptop", "other", BASE_MS);
      expect(await storage().devices.listSubscribedDevices(IDENTITY_A, "notes")).toEqual([phone, tablet]);
      expect(await storage().devices.listSubscribedDevices(IDENTITY_A, "missing")).toEqual([]);
    });

    it("subscribes idempotently and lists a device's datasets by name", async () => {
      await storage().devices.saveDevice(makeDevice("phone"));
      for (const dataset of ["todo", "notes", "todo", "Zeta"]) await storage().devices.subscribeDevice(IDENTITY_A, "phone", dataset, BASE_MS);
      expect(await storage().devices.listDeviceDatasets(IDENTITY_A, "phone")).toEqual(["Zeta", "notes", "todo"]);
      expect(await storage().devices.listSubscribedDevices(IDENTITY_A, "todo")).toHaveLength(1);
    });

    it("refuses to subscribe a device that is not registered to that identity", async () => {
      await storage().devices.saveDevice(makeDevice("phone", { identityId: IDENTITY_B }));
      await expect(storage().devices.subscribeDevice(IDENTITY_A, "phone", "notes", BASE_MS)).rejects.toThrow();
      expect(await storage().devices.listSubscribedDevices(IDENTITY_A, "notes")).toEqual([]);
    });

    it("unsubscribes one dataset and says whether it was subscribed", async () => {
      await storage().devices.saveDevice(makeDevice("phone"));
      await storage().devices.subscribeDevice(IDENTITY_A, "phone", "notes", BASE_MS);
      await storage().devices.subscribeDevice(IDENTITY_A, "phone", "todo", BASE_MS);
      expect(await storage().devices.unsubscribeDevice(IDENTITY_A, "phone", "notes")).toBe(true);
      expect(await storage().devices.unsubscribeDevice(IDENTITY_A, "phone", "notes")).toBe(false);
      expect(await storage().devices.unsubscribeDevice(IDENTITY_B, "phone", "todo")).toBe(false);
      expect(await storage().devices.listDeviceDatasets(IDENTITY_A, "phone")).toEqual(["todo"]);
    });

    it("deletes a device with its subscriptions, and says whether it existed", async () => {
      await storage().devices.saveDevice(makeDevice("phone"));
      await storage().devices.subscribeDevice(IDENTITY_A, "phone", "notes", BASE_MS);
      expect(await storage().devices.deleteDevice(IDENTITY_A, "phone")).toBe(true);
      expect(await storage().devices.deleteDevice(IDENTITY_A, "phone")).toBe(false);
      expect(await storage().devices.listSubscribedDevices(IDENTITY_A, "notes")).toEqual([]);
      expect(await storage().devices.listDeviceDatasets(IDENTITY_A, "phone")).toEqual([]);
      // Registering again starts without the old subscriptions.
      await storage().devices.saveDevice(makeDevice("phone"));
      expect(await storage().devices.listDeviceDatasets(IDENTITY_A, "phone")).toEqual([]);
    });

    it("deletes a device only while it is still registered at the URL a delivery failed on", async () => {
      await storage().devices.saveDevice(makeDevice("phone", { url: "https://push.example/new" }));
      expect(await storage().devices.deleteDevice(IDENTITY_A, "phone", "https://push.example/old")).toBe(false);
      expect(await storage().devices.getDevice(IDENTITY_A, "phone")).not.toBeNull();
      expect(await storage().devices.deleteDevice(IDENTITY_A, "phone", "https://push.example/new")).toBe(true);
    });
  });
}
