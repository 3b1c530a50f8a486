/**
 * The storage conformance suite: every `Storage` implementation runs it unchanged (SQLite now,
 * PostgreSQL later), so the sync layer can rely on behaviour rather than on one backend. Each test
 * gets a fresh, migrated storage from `open` and cleans it up afterwards. Reads and writes of
 * datasets live in the two sibling files; this one holds the lifecycle, pools, identities and
 * remembered push answers.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Storage } from "../../server/storage/storage.js";
import { BASE_MS, IDENTITY_A, IDENTITY_B, makeRecord } from "./storage-fixtures.js";
import { describeDatasetReads } from "./storage-suite-reads.js";
import { describeDatasetWrites } from "./storage-suite-writes.js";
import { describeIdentityStore } from "./storage-suite-identities.js";
import { describeDevices } from "./storage-suite-devices.js";
import { describeStream } from "./storage-suite-stream.js";
import { describeLeases } from "./storage-suite-leases.js";
import { describeKeys } from "./storage-suite-keys.js";
import { describeGroups } from "./storage-suite-groups.js";
import { describeUserPoolGroups } from "./storage-suite-user-pool-groups.js";
import { describeUserPoolWebAuthn } from "./storage-suite-user-pool-webauthn.js";
import { describeUserPoolListing } from "./storage-suite-user-pool-listing.js";
import { describeUserPools } from "./storage-suite-user-pools.js";
import { describeUserPoolUsedSessions } from "./storage-suite-user-pool-used-sessions.js";
import { describeAuthEvents } from "./storage-suite-auth-events.js";

/** What a backend's test file hands the suite: a fresh storage and how to dispose of it. */
export type OpenStorageForTest = () => Promise<{ storage: Storage; cleanup(): Promise<void> }>;

/** Registers the suite under `name`; `open` is called once per test. */
export function runStorageConformance(name: string, open: OpenStorageForTest): void {
  describe(`storage conformance: ${name}`, () => {
    let storage: Storage | undefined;
    let cleanup: (() => Promise<void>) | undefined;
    const current = (): Storage => {
      if (!storage) throw new Error("storage not opened");
      return storage;
    };

    beforeEach(async () => {
      ({ storage, cleanup } = await open());
      await storage.migrate();
    });
    afterEach(async () => {
      await cleanup?.();
      storage = cleanup = undefined;
    });

    describeLifecycle(current);
    describePools(current);
    describeIdentities(current);
    describeMutations(current);
    describeDatasetReads(current);
    describeDatasetWrites(current);
    describeIdentityStore(current);
    describeDevices(current);
    describeStream(current);
    describeLeases(current);
    describeKeys(current);
    describeGroups(current);
    describeUserPools(current);
    describeUserPoolGroups(current);
    describeUserPoolWebAuthn(current);
    describeUserPoolListing(current);
    describeUserPoolUsedSessions(current);
    describeAuthEvents(current);
  });
}

function describeLifecycle(storage: () => Storage): void {
  describe("lifecycle", () => {
    it("migrating again is harmless and keeps the data", async () => {
      await storage().pools.savePool({ id: "default", settings: { guests: true }, createdAt: BASE_MS });
      await storage().migrate();
      await storage().migrate();
      expect(await storage().pools.getPool("default")).toEqual({ id: "default", settings: { guests: true }, createdAt: BASE_MS });
    });

    it("answers ping once migrated and names its kind", async () => {
      await expect(storage().ping()).resolves.toBeUndefined();
      expect(typeof storage().kind).toBe("string");
    });
  });
}

function describePools(storage: () => Storage): void {
  describe("pools", () => {
    const settings = {
      guestsAllowed: true,
      developerProviderName: null,
      oidcProviders: [{ issuer: "https://issuer.example", audiences: ["app"], jwksUri: "https://issuer.example/jwks" }],
      limits: { maxDatasets: 20, maxRecords: 1024, maxDatasetBytes: 1_048_576, maxClockSkewMs: 300_000 },
      streamRetentionMs: 86_400_000,
      label: "Ünïcødé pool 🚀",
    };

    it("returns a saved pool exactly, settings JSON included", async () => {
      await storage().pools.savePool({ id: "local:pool-1", settings, createdAt: BASE_MS });
      expect(await storage().pools.getPool("local:pool-1")).toEqual({ id: "local:pool-1", settings, createdAt: BASE_MS });
    });

    it("returns null for a pool that was never saved", async () => {
      expect(await storage().pools.getPool("local:missing")).toBeNull();
    });

    it("saving an existing pool replaces its settings and keeps its creation time", async () => {
      await storage().pools.savePool({ id: "default", settings, createdAt: BASE_MS });
      await storage().pools.savePool({ id: "default", settings: { guestsAllowed: false }, createdAt: BASE_MS + 5000 });
      expect(await storage().pools.getPool("default")).toEqual({
        id: "default",
        settings: { guestsAllowed: false },
        createdAt: BASE_MS,
      });
      expect(await storage().pools.listPools()).toHaveLength(1);
    });

    it("lists every pool ordered by id", async () => {
      for (const id of ["local:b", "default", "local:a"]) await storage().pools.savePool({ id, settings: {}, createdAt: BASE_MS });
      expect((await storage().pools.listPools()).map((pool) => pool.id)).toEqual(["default", "local:a", "local:b"]);
    });
  });
}

function describeIdentities(storage: () => Storage): void {
  describe("identities", () => {
    it("returns a created identity exactly, with or without a secret hash", async () => {
      const guest = { id: IDENTITY_A, poolId: "default", secretHash: "scrypt$16384$8$1$c2FsdA$aGFzaA", createdAt: BASE_MS };
      const linked = { id: IDENTITY_B, poolId: "default", secretHash: null, createdAt: BASE_MS + 1 };
      await storage().pools.createIdentity(guest);
      await storage().pools.createIdentity(linked);
      expect(await storage().pools.getIdentity(IDENTITY_A)).toEqual(guest);
      expect(await storage().pools.getIdentity(IDENTITY_B)).toEqual(linked);
      expect(await storage().pools.getIdentity("local:00000000-0000-4000-8000-000000000000")).toBeNull();
    });

    it("rejects creating an identity whose id exists and keeps the first", async () => {
      const first = { id: IDENTITY_A, poolId: "default", secretHash: "first", createdAt: BASE_MS };
      await storage().pools.createIdentity(first);
      await expect(storage().pools.createIdentity({ ...first, secretHash: "second" })).rejects.toThrow();
      expect(await storage().pools.getIdentity(IDENTITY_A)).toEqual(first);
    });
  });
}

function describeMutations(storage: () => Storage): void {
  describe("remembered push answers", () => {
    const answer = JSON.stringify({ datasetSyncCount: 1, records: [makeRecord("ключ", 1)], conflicts: [] });

    /** Saves an answer in its own committed push. */
    const remember = (identityId: string, mutationId: string, createdAt: number, resultJson = answer) =>
      storage().datasets.writeDataset(identityId, "notes", (tx) =>
        tx.saveMutation({ deviceId: "device-a", mutationId, dataset: "notes", resultJson, createdAt }),
      );
    const recall = (identityId: string, deviceId: string, mutationId: string) =>
      storage().datasets.writeDataset(identityId, "notes", (tx) => tx.getMutation(deviceId, mutationId));

    it("returns a saved answer verbatim, only to the same identity and device", async () => {
      await remember(IDENTITY_A, "m-1", BASE_MS);
      expect(await recall(IDENTITY_A, "device-a", "m-1")).toBe(answer);
      expect(await recall(IDENTITY_A, "device-b", "m-1")).toBeNull();
      expect(await recall(IDENTITY_B, "device-a", "m-1")).toBeNull();
      expect(await recall(IDENTITY_A, "device-a", "m-2")).toBeNull();
    });

    it("rejects a second answer for the same mutation and keeps the first", async () => {
      await remember(IDENTITY_A, "m-1", BASE_MS);
      await expect(remember(IDENTITY_A, "m-1", BASE_MS + 1, '{"other":true}')).rejects.toThrow();
      expect(await recall(IDENTITY_A, "device-a", "m-1")).toBe(answer);
    });

    it("keeps answers apart for device and mutation ids that differ only by U+0000", async () => {
      const save = (deviceId: string, mutationId: string, resultJson: string) =>
        storage().datasets.writeDataset(IDENTITY_A, "notes", (tx) =>
          tx.saveMutation({ deviceId, mutationId, dataset: "notes", resultJson, createdAt: BASE_MS }),
        );
      await save("device\u0000a", "m\u0000", '{"n":"\u0000"}');
      await save("device", "m\u0000", "second");
      await save("device\u0000a", "m", "third");
      const answers = await storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => [
        await tx.getMutation("device\u0000a", "m\u0000"),
        await tx.getMutation("device", "m\u0000"),
        await tx.getMutation("device\u0000a", "m"),
        await tx.getMutation("device\u0001a", "m\u0000"),
      ]);
      expect(answers).toEqual(['{"n":"\u0000"}', "second", "third", null]);
    });

    it("purges answers created before the cutoff and says how many", async () => {
      await remember(IDENTITY_A, "old", BASE_MS - 2000);
      await remember(IDENTITY_B, "older", BASE_MS - 3000);
      await remember(IDENTITY_A, "at-cutoff", BASE_MS);
      await remember(IDENTITY_A, "new", BASE_MS + 1000);
      expect(await storage().datasets.purgeMutations(BASE_MS)).toBe(2);
      expect(await recall(IDENTITY_A, "device-a", "old")).toBeNull();
      expect(await recall(IDENTITY_B, "device-a", "older")).toBeNull();
      expect(await recall(IDENTITY_A, "device-a", "at-cutoff")).toBe(answer);
      expect(await recall(IDENTITY_A, "device-a", "new")).toBe(answer);
      expect(await storage().datasets.purgeMutations(BASE_MS)).toBe(0);
    });
  });
}
