/**
 * Conformance: consumer leases (`LeaseStore`). One holder at a time per (consumer, pool, shard);
 * renewals keep it; expiry or release frees it; the epoch grows on every hand-over only.
 */
import { describe, expect, it } from "vitest";
import type { LeaseRequest } from "../../server/storage/lease-store.js";
import type { Storage } from "../../server/storage/storage.js";
import { BASE_MS } from "./storage-fixtures.js";

const TTL = 10_000;
const request = (holder: string, now: number, overrides: Partial<LeaseRequest> = {}): LeaseRequest => ({
  consumer: "webhook:default:audit",
  poolId: "default",
  shard: 0,
  holder,
  now,
  expiresAt: now + TTL,
  ...overrides,
});

/** Registers the lease tests; `storage()` is a fresh, migrated storage per test. */
export function describeLeases(storage: () => Storage): void {
  describe("consumer leases", () => {
    it("gives a free lease to the first holder and refuses it to others until it expires", async () => {
      expect(await storage().leases.acquireLease(request("a", BASE_MS))).toBe(1);
      expect(await storage().leases.acquireLease(request("b", BASE_MS + 1))).toBeNull();
      expect(await storage().leases.acquireLease(request("b", BASE_MS + TTL - 1))).toBeNull();
      expect(await storage().leases.acquireLease(request("b", BASE_MS + TTL))).toBe(2);
      expect(await storage().leases.acquireLease(request("a", BASE_MS + TTL + 1))).toBeNull();
      expect(await storage().leases.listLeases()).toEqual([
        { consumer: "webhook:default:audit", poolId: "default", shard: 0, holder: "b", epoch: 2, expiresAt: BASE_MS + 2 * TTL, acquiredAt: BASE_MS + TTL },
      ]);
    });

    it("renews for its holder without changing the epoch, even after it expired unclaimed", async () => {
      expect(await storage().leases.acquireLease(request("a", BASE_MS))).toBe(1);
      expect(await storage().leases.acquireLease(request("a", BASE_MS + 5))).toBe(1);
      expect(await storage().leases.acquireLease(request("a", BASE_MS + 3 * TTL))).toBe(1);
      const [lease] = await storage().leases.listLeases();
      expect(lease).toMatchObject({ holder: "a", epoch: 1, acquiredAt: BASE_MS, expiresAt: BASE_MS + 4 * TTL });
    });

    it("keeps leases of different shards, pools and consumers apart", async () => {
      expect(await storage().leases.acquireLease(request("a", BASE_MS))).toBe(1);
      expect(await storage().leases.acquireLease(request("b", BASE_MS, { shard: 1 }))).toBe(1);
      expect(await storage().leases.acquireLease(request("b", BASE_MS, { poolId: "other" }))).toBe(1);
      expect(await storage().leases.acquireLease(request("b", BASE_MS, { consumer: "handler" }))).toBe(1);
      expect((await storage().leases.listLeases()).map((l) => [l.consumer, l.poolId, l.shard, l.holder])).toEqual([
        ["handler", "default", 0, "b"],
        ["webhook:default:audit", "default", 0, "a"],
        ["webhook:default:audit", "default", 1, "b"],
        ["webhook:default:audit", "other", 0, "b"],
      ]);
      expect((await storage().leases.listLeases("handler")).map((l) => l.holder)).toEqual(["b"]);
    });

    it("renews every lease of a holder and reports the ones it lost", async () => {
      await storage().leases.acquireLease(request("a", BASE_MS));
      await storage().leases.acquireLease(request("a", BASE_MS, { shard: 1 }));
      await storage().leases.acquireLease(request("b", BASE_MS + TTL, { shard: 1 })); // a's shard 1 expired: b takes it
      const renewed = await storage().leases.renewLeases("a", BASE_MS + 5 * TTL);
      expect(renewed).toEqual([{ consumer: "webhook:default:audit", poolId: "default", shard: 0 }]);
      expect(await storage().leases.acquireLease(request("b", BASE_MS + 4 * TTL))).toBeNull();
      expect(await storage().leases.renewLeases("nobody", BASE_MS)).toEqual([]);
    });

    it("frees released leases at once, and the next holder gets a new epoch", async () => {
      await storage().leases.acquireLease(request("a", BASE_MS));
      await storage().leases.acquireLease(request("a", BASE_MS, { shard: 1 }));
      await storage().leases.acquireLease(request("a", BASE_MS, { shard: 2 }));
      await storage().leases.releaseLeases("b"); // not b's: nothing happens
      expect(await storage().leases.acquireLease(request("b", BASE_MS + 1))).toBeNull();
      await storage().leases.releaseLeases("a", [{ consumer: "webhook:default:audit", poolId: "default", shard: 0 }]);
      expect(await storage().leases.acquireLease(request("b", BASE_MS + 2))).toBe(2);
      expect(await storage().leases.acquireLease(request("b", BASE_MS + 2, { shard: 1 }))).toBeNull();
      await storage().leases.releaseLeases("a");
      expect(await storage().leases.acquireLease(request("b", BASE_MS + 3, { shard: 1 }))).toBe(2);
      expect(await storage().leases.acquireLease(request("a", BASE_MS + 3, { shard: 2 }))).toBe(2); // a released it: a new tenure
      expect((await storage().leases.listLeases()).map((l) => l.holder)).toEqual(["b", "b", "a"]);
    });

    it("lets exactly one of many concurrent claimants take a free lease", async () => {
      const holders = Array.from({ length: 8 }, (_, index) => `h${index}`);
      const epochs = await Promise.all(holders.map((holder) => storage().leases.acquireLease(request(holder, BASE_MS))));
      expect(epochs.filter((epoch) => epoch !== null)).toEqual([1]);
      const winner = holders[epochs.findIndex((epoch) => epoch !== null)];
      expect((await storage().leases.listLeases()).map((l) => l.holder)).toEqual([winner]);
    });
  });
}
