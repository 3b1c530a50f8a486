/**
 * Conformance: what reads return. Rows come back exactly as written, pages follow the
 * (syncCount, key) order with an exclusive cursor, and a page and its dataset row are one snapshot.
 */
import { describe, expect, it } from "vitest";
import type { SyncRecord } from "../../core/types.js";
import type { Storage } from "../../server/storage/storage.js";
import {
  BASE_MS,
  IDENTITY_A,
  IDENTITY_B,
  commitPush,
  compareCodePoints,
  makeDataset,
  makeRecord,
  yieldToOthers,
} from "./storage-fixtures.js";

/** Registers the read tests; `storage` returns the current test's storage. */
export function describeDatasetReads(storage: () => Storage): void {
  const readAll = (identityId: string, name: string, sinceSyncCount = 0) =>
    storage().datasets.readRecords(identityId, name, { sinceSyncCount, limit: 10_000 });

  describe("dataset reads", () => {
    it("returns a dataset row exactly as saved, nulls and booleans included", async () => {
      const fresh = makeDataset(IDENTITY_A, "settings", 0, { conflictStrategy: "OPTIMISTIC" });
      const deleted = makeDataset(IDENTITY_A, "trash", 9, { deleted: true, deletedAtSyncCount: 9, sizeBytes: 42 });
      for (const row of [fresh, deleted]) {
        await storage().datasets.writeDataset(row.identityId, row.name, (tx) => tx.saveDataset(row));
      }
      expect(await storage().datasets.getDataset(IDENTITY_A, "settings")).toEqual(fresh);
      expect(await storage().datasets.getDataset(IDENTITY_A, "trash")).toEqual(deleted);
      expect(await storage().datasets.getDataset(IDENTITY_A, "never")).toBeNull();
    });

    it("returns records exactly as saved: tombstones, ydoc values, unicode keys, large numbers", async () => {
      const records: SyncRecord[] = [
        makeRecord("plain", 1),
        makeRecord("gone", 1, { value: null, deleted: true }),
        makeRecord("doc", 1, { kind: "YDOC", value: Buffer.from([1, 2, 0, 255]).toString("base64") }),
        makeRecord("日本語のキー 🔑", 1, { value: "値 — ✓ \"quoted\" \\ back\nslash" }),
        makeRecord("empty value", 1, { value: "" }),
        makeRecord("max", 1, { lastModifiedAt: 8_640_000_000_000_000, deviceLastModifiedAt: 0 }),
      ];
      await commitPush(storage(), IDENTITY_A, "notes", 1, records);
      const { records: read } = await readAll(IDENTITY_A, "notes");
      expect(read).toEqual([...records].sort((a, b) => compareCodePoints(a.key, b.key)));
    });

    it("round-trips U+0000 and U+0001 in keys, values, clocks and device ids, in code point order", async () => {
      // PostgreSQL text cannot hold U+0000; JavaScript strings and SQLite can, so storage must.
      const keys = ["a\u0002", "a", "a\u0001", "a\u0000", "a\u0000\u0000", "a\u0001\u0001", "\u0000"];
      const records = keys.map((key, index) =>
        makeRecord(key, 1, {
          value: index % 2 ? `v\u0000${index}\u0001\u0002` : "\u0001",
          clock: `${index}:0:dev\u0000ice`,
          lastModifiedBy: "dev\u0000ice\u0001",
        }),
      );
      await commitPush(storage(), IDENTITY_A, "notes", 1, records);
      const { records: read } = await readAll(IDENTITY_A, "notes");
      expect(read).toEqual([...records].sort((a, b) => compareCodePoints(a.key, b.key)));
      expect(read.map((record) => record.key)).toEqual(["\u0000", "a", "a\u0000", "a\u0000\u0000", "a\u0001", "a\u0001\u0001", "a\u0002"]);
      const found = await storage().datasets.writeDataset(IDENTITY_A, "notes", (tx) => tx.getRecords(["a\u0000", "a\u0001", "a"]));
      expect([...found.keys()].sort()).toEqual(["a", "a\u0000", "a\u0001"]);
      expect(found.get("a\u0000")).toEqual(records[3]);
      const page = await storage().datasets.readRecords(IDENTITY_A, "notes", { sinceSyncCount: 0, after: { syncCount: 1, key: "a\u0000" }, limit: 2 });
      expect(page.records.map((record) => record.key)).toEqual(["a\u0000\u0000", "a\u0001"]);
    });

    it("stores a key of 1024 three-byte characters, the longest a key can be in UTF-8", async () => {
      const key = Array.from({ length: 1024 }, (_, index) => String.fromCodePoint(0x4e00 + ((index * 7919) % 20_000))).join("");
      expect(Buffer.byteLength(key, "utf8")).toBe(3072);
      const record = makeRecord(key, 1, { value: key });
      await commitPush(storage(), IDENTITY_A, "notes", 1, [record]);
      expect((await readAll(IDENTITY_A, "notes")).records).toEqual([record]);
      const replaced = makeRecord(key, 2, { value: "replaced" });
      await commitPush(storage(), IDENTITY_A, "notes", 2, [replaced]);
      expect((await readAll(IDENTITY_A, "notes")).records).toEqual([replaced]);
      expect(await storage().datasets.writeDataset(IDENTITY_A, "notes", (tx) => tx.getRecords([key]))).toEqual(new Map([[key, replaced]]));
    });

    it("returns a 1 MB value unchanged", async () => {
      const big = `${"ab€🙂".repeat(116_508)}abcd`; // 1 MiB of UTF-8, 1-, 3- and 4-byte characters
      expect(Buffer.byteLength(big, "utf8")).toBe(1_048_576);
      await commitPush(storage(), IDENTITY_A, "notes", 1, [makeRecord("big", 1, { value: big })]);
      const { records } = await readAll(IDENTITY_A, "notes");
      expect(records[0]?.value?.length).toBe(big.length);
      expect(records[0]?.value === big).toBe(true);
    });

    it("replaces a record saved again under the same key", async () => {
      await commitPush(storage(), IDENTITY_A, "notes", 1, [makeRecord("a", 1), makeRecord("b", 1)]);
      const tombstone = makeRecord("a", 2, { value: null, deleted: true, lastModifiedBy: "device-b" });
      await commitPush(storage(), IDENTITY_A, "notes", 2, [tombstone]);
      expect((await readAll(IDENTITY_A, "notes")).records).toEqual([makeRecord("b", 1), tombstone]);
    });

    it("orders a page by syncCount, then key in code point order", async () => {
      // U+FF5E sorts before U+1F600 by code point, after it by UTF-16 code unit.
      const keys = ["😀", "b", "～", "B", "é", "a"];
      await commitPush(storage(), IDENTITY_A, "notes", 1, keys.map((key) => makeRecord(key, 1)));
      await commitPush(storage(), IDENTITY_A, "notes", 2, [makeRecord("A", 2), makeRecord("é", 2)]);
      const order = (await readAll(IDENTITY_A, "notes")).records.map((r) => [r.syncCount, r.key]);
      expect(order).toEqual([[1, "B"], [1, "a"], [1, "b"], [1, "～"], [1, "😀"], [2, "A"], [2, "é"]]);
    });

    it("returns only records changed after sinceSyncCount", async () => {
      for (let syncCount = 1; syncCount <= 4; syncCount++) {
        await commitPush(storage(), IDENTITY_A, "notes", syncCount, [makeRecord(`k${syncCount}`, syncCount)]);
      }
      expect((await readAll(IDENTITY_A, "notes", 2)).records.map((r) => r.key)).toEqual(["k3", "k4"]);
      expect((await readAll(IDENTITY_A, "notes", 4)).records).toEqual([]);
      expect((await readAll(IDENTITY_A, "notes", 4)).dataset?.syncCount).toBe(4);
    });

    it("pages with an exclusive after position, across equal sync counts, without gaps or repeats", async () => {
      await commitPush(storage(), IDENTITY_A, "notes", 1, ["e", "d", "c", "b", "a"].map((key) => makeRecord(key, 1)));
      await commitPush(storage(), IDENTITY_A, "notes", 2, ["c", "z"].map((key) => makeRecord(key, 2)));
      const seen: string[] = [];
      let after: { syncCount: number; key: string } | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const { records } = await storage().datasets.readRecords(IDENTITY_A, "notes", { sinceSyncCount: 0, after, limit: 2 });
        expect(records.length).toBeLessThanOrEqual(2);
        if (records.length === 0) break;
        seen.push(...records.map((r) => `${r.syncCount}:${r.key}`));
        const last = records.at(-1)!;
        after = { syncCount: last.syncCount, key: last.key };
      }
      expect(seen).toEqual(["1:a", "1:b", "1:d", "1:e", "2:c", "2:z"]);
    });

    it("applies sinceSyncCount and after together", async () => {
      await commitPush(storage(), IDENTITY_A, "notes", 1, [makeRecord("a", 1), makeRecord("b", 1)]);
      await commitPush(storage(), IDENTITY_A, "notes", 2, [makeRecord("c", 2), makeRecord("d", 2)]);
      const keys = async (sinceSyncCount: number, after: { syncCount: number; key: string }) =>
        (await storage().datasets.readRecords(IDENTITY_A, "notes", { sinceSyncCount, after, limit: 10 })).records.map((r) => r.key);
      expect(await keys(1, { syncCount: 2, key: "c" })).toEqual(["d"]);
      expect(await keys(1, { syncCount: 1, key: "a" })).toEqual(["c", "d"]);
      expect(await keys(2, { syncCount: 1, key: "z" })).toEqual([]);
      expect(await keys(0, { syncCount: 1, key: "a" })).toEqual(["b", "c", "d"]);
    });

    it("returns at most limit records", async () => {
      await commitPush(storage(), IDENTITY_A, "notes", 1, ["a", "b", "c"].map((key) => makeRecord(key, 1)));
      const page = await storage().datasets.readRecords(IDENTITY_A, "notes", { sinceSyncCount: 0, limit: 2 });
      expect(page.records.map((r) => r.key)).toEqual(["a", "b"]);
    });

    it("finds the sync count to read after for the records changed since a time, that millisecond included", async () => {
      for (let syncCount = 1; syncCount <= 4; syncCount++) {
        await commitPush(storage(), IDENTITY_A, "notes", syncCount, [makeRecord(`k${syncCount}`, syncCount)]);
      }
      await commitPush(storage(), IDENTITY_B, "notes", 9, [makeRecord("other", 9, { lastModifiedAt: BASE_MS })]);
      const before = (sinceMs: number) => storage().datasets.syncCountBeforeChangesSince(IDENTITY_A, "notes", sinceMs);
      // k3 was changed at exactly BASE_MS + 3000.
      expect(await before(BASE_MS + 3000)).toBe(2);
      expect(await before(BASE_MS + 3001)).toBe(3);
      expect(await before(BASE_MS)).toBe(0);
      expect((await readAll(IDENTITY_A, "notes", await before(BASE_MS + 2500))).records.map((r) => r.key)).toEqual(["k3", "k4"]);
      // Nothing changed since: the dataset's count, after which there is nothing to read.
      expect(await before(BASE_MS + 4001)).toBe(4);
      expect(await storage().datasets.syncCountBeforeChangesSince(IDENTITY_A, "never", BASE_MS)).toBe(0);
    });

    it("never leaves out a record changed since a time when change times do not rise with sync counts", async () => {
      // A server whose clock stepped back: the record of count 2 is older than the one of count 1.
      await commitPush(storage(), IDENTITY_A, "notes", 1, [makeRecord("late", 1, { lastModifiedAt: BASE_MS + 5000 })]);
      await commitPush(storage(), IDENTITY_A, "notes", 2, [makeRecord("early", 2, { lastModifiedAt: BASE_MS + 2000 })]);
      await commitPush(storage(), IDENTITY_A, "notes", 3, [makeRecord("gone", 3, { lastModifiedAt: BASE_MS + 9000, value: null, deleted: true })]);
      const since = await storage().datasets.syncCountBeforeChangesSince(IDENTITY_A, "notes", BASE_MS + 4000);
      expect(since).toBe(0);
      expect((await readAll(IDENTITY_A, "notes", since)).records.map((r) => r.key)).toEqual(["late", "early", "gone"]);
      expect(await storage().datasets.syncCountBeforeChangesSince(IDENTITY_A, "notes", BASE_MS + 6000)).toBe(2);
    });

    it("moves a record rewritten later to its new change time", async () => {
      await commitPush(storage(), IDENTITY_A, "notes", 1, [makeRecord("a", 1), makeRecord("b", 1)]);
      await commitPush(storage(), IDENTITY_A, "notes", 2, [makeRecord("c", 2)]);
      await commitPush(storage(), IDENTITY_A, "notes", 3, [makeRecord("a", 3)]);
      const since = await storage().datasets.syncCountBeforeChangesSince(IDENTITY_A, "notes", BASE_MS + 2500);
      expect(since).toBe(2);
      expect((await readAll(IDENTITY_A, "notes", since)).records.map((r) => r.key)).toEqual(["a"]);
    });

    it("reads a dataset that never existed as no row and no records", async () => {
      expect(await readAll(IDENTITY_A, "never")).toEqual({ dataset: null, records: [] });
    });

    // Forty durable commits with reads between them: slow by nature on a busy machine.
    it("reads the dataset row and the page from one snapshot while pushes commit", { timeout: 15_000 }, async () => {
      let writing = true;
      const writer = (async () => {
        for (let syncCount = 1; syncCount <= 40; syncCount++) {
          await storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
            await tx.saveRecords([makeRecord(`k${syncCount % 7}`, syncCount)]);
            await yieldToOthers();
            await tx.saveDataset(makeDataset(IDENTITY_A, "notes", syncCount));
          });
          await yieldToOthers();
        }
      })().finally(() => (writing = false));
      let reads = 0;
      while (writing || reads === 0) {
        const { dataset, records } = await readAll(IDENTITY_A, "notes");
        const newestInPage = Math.max(0, ...records.map((record) => record.syncCount));
        expect(newestInPage).toBeLessThanOrEqual(dataset?.syncCount ?? 0);
        reads++;
        await yieldToOthers();
      }
      await writer;
      expect((await readAll(IDENTITY_A, "notes")).dataset?.syncCount).toBe(40);
    });

    it("lists an identity's live datasets ordered by name, never deleted ones or another identity's", async () => {
      await commitPush(storage(), IDENTITY_A, "zeta", 1, []);
      await commitPush(storage(), IDENTITY_A, "Alpha", 1, []);
      await commitPush(storage(), IDENTITY_A, "alpha", 1, []);
      await commitPush(storage(), IDENTITY_B, "beta", 1, []);
      const trash = makeDataset(IDENTITY_A, "trash", 3, { deleted: true, deletedAtSyncCount: 3 });
      await storage().datasets.writeDataset(IDENTITY_A, "trash", (tx) => tx.saveDataset(trash));
      const listed = await storage().datasets.listDatasets(IDENTITY_A);
      expect(listed.map((row) => row.name)).toEqual(["Alpha", "alpha", "zeta"]);
      expect(listed[0]).toEqual(makeDataset(IDENTITY_A, "Alpha", 1));
      expect(await storage().datasets.listDatasets("local:nobody")).toEqual([]);
    });
  });
}
