/**
 * Conformance: `writeDataset`. All or nothing, one writer per dataset at a time, invisible to
 * readers until it commits, and every transaction method scoped to its own identity and dataset.
 */
import { describe, expect, it } from "vitest";
import type { DatasetWriteTx, Storage } from "../../server/storage/storage.js";
import {
  IDENTITY_A,
  IDENTITY_B,
  commitPush,
  deferred,
  makeDataset,
  makeRecord,
  yieldToOthers,
} from "./storage-fixtures.js";

/** Registers the write tests; `storage` returns the current test's storage. */
export function describeDatasetWrites(storage: () => Storage): void {
  const readAll = (identityId: string, name: string) =>
    storage().datasets.readRecords(identityId, name, { sinceSyncCount: 0, limit: 10_000 });
  /** Runs `fn` in a transaction that changes nothing, to look at the committed state. */
  const inspect = <T>(identityId: string, name: string, fn: (tx: DatasetWriteTx) => Promise<T>) =>
    storage().datasets.writeDataset(identityId, name, fn);

  describe("dataset writes", () => {
    it("creates a dataset: no row before, the saved row after, and returns the callback's value", async () => {
      const row = makeDataset(IDENTITY_A, "notes", 1, { recordCount: 1, sizeBytes: 20 });
      const result = await storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
        expect(tx.dataset).toBeNull();
        await tx.saveRecords([makeRecord("a", 1)]);
        await tx.saveDataset(row);
        return { datasetSyncCount: 1 };
      });
      expect(result).toEqual({ datasetSyncCount: 1 });
      expect(await storage().datasets.getDataset(IDENTITY_A, "notes")).toEqual(row);
      expect(await inspect(IDENTITY_A, "notes", async (tx) => tx.dataset)).toEqual(row);
    });

    it("hands the next writer a deleted dataset's row, so its count is never reused", async () => {
      const deleted = makeDataset(IDENTITY_A, "notes", 7, { deleted: true, deletedAtSyncCount: 7 });
      await storage().datasets.writeDataset(IDENTITY_A, "notes", (tx) => tx.saveDataset(deleted));
      expect(await inspect(IDENTITY_A, "notes", async (tx) => tx.dataset)).toEqual(deleted);
    });

    it("rolls back records, dataset row and answer when the callback throws, and rethrows its error", async () => {
      await commitPush(storage(), IDENTITY_A, "notes", 1, [makeRecord("a", 1)]);
      const before = await readAll(IDENTITY_A, "notes");
      const boom = new Error("trigger rejected the push");
      const failingPush = (name: string) =>
        storage().datasets.writeDataset(IDENTITY_A, name, async (tx) => {
          await tx.saveRecords([makeRecord("a", 2, { value: "changed" }), makeRecord("b", 2)]);
          await tx.saveDataset(makeDataset(IDENTITY_A, name, 2));
          await tx.saveMutation({ deviceId: "device-a", mutationId: "m-2", dataset: name, resultJson: "{}", createdAt: 1 });
          throw boom;
        });
      await expect(failingPush("notes")).rejects.toBe(boom);
      await expect(failingPush("fresh")).rejects.toBe(boom);
      expect(await readAll(IDENTITY_A, "notes")).toEqual(before);
      expect(await readAll(IDENTITY_A, "fresh")).toEqual({ dataset: null, records: [] });
      expect(await inspect(IDENTITY_A, "notes", (tx) => tx.getMutation("device-a", "m-2"))).toBeNull();
      // The storage stays usable after a rollback.
      await commitPush(storage(), IDENTITY_A, "notes", 2, [makeRecord("b", 2)]);
      expect((await readAll(IDENTITY_A, "notes")).dataset?.syncCount).toBe(2);
    });

    it("answers the remembered answer a write names up front, and its own answer once it saved one", async () => {
      const mutation = { deviceId: "device-a", mutationId: "m-1" };
      const save = (tx: DatasetWriteTx, resultJson: string) => tx.saveMutation({ ...mutation, dataset: "notes", resultJson, createdAt: 1 });
      const seen = await storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
        const before = await tx.getMutation(mutation.deviceId, mutation.mutationId);
        await save(tx, "first");
        return [before, await tx.getMutation(mutation.deviceId, mutation.mutationId), await tx.getMutation("device-a", "m-other")];
      }, { mutation });
      expect(seen).toEqual([null, "first", null]);
      const again = await storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) =>
        [await tx.getMutation(mutation.deviceId, mutation.mutationId), await tx.getMutation(mutation.deviceId, mutation.mutationId)], { mutation });
      expect(again).toEqual(["first", "first"]);
      // Another identity's write naming the same device and mutation finds nothing.
      expect(await storage().datasets.writeDataset(IDENTITY_B, "notes", (tx) => tx.getMutation(mutation.deviceId, mutation.mutationId), { mutation })).toBeNull();
    });

    it("serializes concurrent writers of one dataset: 50 read-modify-write pushes end at 50", async () => {
      const seen: number[] = [];
      await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          storage().datasets.writeDataset(IDENTITY_A, "counter", async (tx) => {
            const current = tx.dataset?.syncCount ?? 0;
            await yieldToOthers(); // a window for another writer, if the storage let one in
            seen.push(current);
            await tx.saveRecords([makeRecord(`writer-${index}`, current + 1)]);
            await tx.saveDataset(makeDataset(IDENTITY_A, "counter", current + 1));
          }),
        ),
      );
      expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, index) => index));
      const { dataset, records } = await readAll(IDENTITY_A, "counter");
      expect(dataset?.syncCount).toBe(50);
      expect(records.map((record) => record.syncCount)).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
    });

    it("keeps identities and datasets apart: same names and keys never cross", async () => {
      await commitPush(storage(), IDENTITY_A, "notes", 1, [makeRecord("k", 1, { value: "A notes" })]);
      await commitPush(storage(), IDENTITY_A, "Notes", 1, [makeRecord("k", 1, { value: "A Notes" })]);
      await commitPush(storage(), IDENTITY_B, "notes", 3, [makeRecord("k", 3, { value: "B notes" })]);
      const values = async (identityId: string, name: string) => ({
        read: (await readAll(identityId, name)).records.map((record) => record.value),
        all: await inspect(identityId, name, async (tx) => (await tx.getAllRecords()).map((record) => record.value)),
        byKey: await inspect(identityId, name, async (tx) => (await tx.getRecords(["k"])).get("k")?.value),
      });
      expect(await values(IDENTITY_A, "notes")).toEqual({ read: ["A notes"], all: ["A notes"], byKey: "A notes" });
      expect(await values(IDENTITY_A, "Notes")).toEqual({ read: ["A Notes"], all: ["A Notes"], byKey: "A Notes" });
      expect(await values(IDENTITY_B, "notes")).toEqual({ read: ["B notes"], all: ["B notes"], byKey: "B notes" });
      expect((await storage().datasets.listDatasets(IDENTITY_B)).map((row) => row.name)).toEqual(["notes"]);
    });

    it("getRecords returns only the stored keys asked for, tombstones included", async () => {
      const tombstone = makeRecord("gone", 1, { value: null, deleted: true });
      await commitPush(storage(), IDENTITY_A, "notes", 1, [makeRecord("a", 1), makeRecord("b", 1), tombstone]);
      const found = await inspect(IDENTITY_A, "notes", (tx) => tx.getRecords(["a", "gone", "missing", "a"]));
      expect(found).toEqual(new Map([["a", makeRecord("a", 1)], ["gone", tombstone]]));
      expect(await inspect(IDENTITY_A, "notes", (tx) => tx.getRecords([]))).toEqual(new Map());
    });

    it("getAllRecords returns every record of the dataset, tombstones included", async () => {
      const records = [makeRecord("a", 1), makeRecord("gone", 1, { value: null, deleted: true }), makeRecord("z", 1)];
      await commitPush(storage(), IDENTITY_A, "notes", 1, records);
      await commitPush(storage(), IDENTITY_A, "other", 1, [makeRecord("x", 1)]);
      const all = await inspect(IDENTITY_A, "notes", (tx) => tx.getAllRecords());
      expect([...all].sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual(records);
    });

    it("deleteAllRecords empties this dataset only, and the transaction sees it at once", async () => {
      await commitPush(storage(), IDENTITY_A, "notes", 1, [makeRecord("a", 1), makeRecord("b", 1)]);
      await commitPush(storage(), IDENTITY_A, "other", 1, [makeRecord("a", 1)]);
      await commitPush(storage(), IDENTITY_B, "notes", 1, [makeRecord("a", 1)]);
      await storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
        await tx.deleteAllRecords();
        expect(await tx.getAllRecords()).toEqual([]);
        await tx.saveDataset(makeDataset(IDENTITY_A, "notes", 2, { deleted: true, deletedAtSyncCount: 2 }));
      });
      expect((await readAll(IDENTITY_A, "notes")).records).toEqual([]);
      expect((await readAll(IDENTITY_A, "other")).records).toHaveLength(1);
      expect((await readAll(IDENTITY_B, "notes")).records).toHaveLength(1);
    });

    it("deleteRecords removes the named records of this dataset only, and the transaction sees it at once", async () => {
      await commitPush(storage(), IDENTITY_A, "notes", 1, [makeRecord("a", 1), makeRecord("b", 1), makeRecord("c", 1)]);
      await commitPush(storage(), IDENTITY_B, "notes", 1, [makeRecord("a", 1)]);
      await storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
        await tx.deleteRecords(["a", "c", "never-stored"]);
        await tx.deleteRecords([]);
        expect([...(await tx.getRecords(["a", "b", "c"])).keys()]).toEqual(["b"]);
      });
      expect((await readAll(IDENTITY_A, "notes")).records.map((record) => record.key)).toEqual(["b"]);
      expect((await readAll(IDENTITY_B, "notes")).records).toHaveLength(1);
    });

    it("answers prefetched reads as plain reads would, and reads again what the transaction wrote since", async () => {
      await storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
        await tx.saveRecords([makeRecord("a", 1)]);
        await tx.saveDataset(makeDataset(IDENTITY_A, "notes", 1));
        await tx.saveMutation({ deviceId: "device-a", mutationId: "m-1", dataset: "notes", resultJson: '{"n":1}', createdAt: 1 });
      });
      const prefetch = { mutation: { deviceId: "device-a", mutationId: "m-1" }, recordKeys: ["a", "missing"] };
      const seen = await storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
        const first = [await tx.getMutation("device-a", "m-1"), await tx.getRecords(["a", "missing"])];
        const other = await tx.getMutation("device-a", "m-2"); // not the prefetched one
        await tx.saveRecords([makeRecord("a", 2, { value: "changed" })]);
        await tx.saveMutation({ deviceId: "device-a", mutationId: "m-2", dataset: "notes", resultJson: '{"n":2}', createdAt: 2 });
        return [...first, other, await tx.getMutation("device-a", "m-2"), await tx.getRecords(["a", "missing"])];
      }, prefetch);
      expect(seen).toEqual([
        '{"n":1}',
        new Map([["a", makeRecord("a", 1)]]),
        null,
        '{"n":2}',
        new Map([["a", makeRecord("a", 2, { value: "changed" })]]),
      ]);
      const afterWrite = await storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
        await tx.saveRecords([makeRecord("a", 3, { value: "again" })]);
        return tx.getRecords(["a", "missing"]); // prefetched before the write: read again
      }, prefetch);
      expect(afterWrite).toEqual(new Map([["a", makeRecord("a", 3, { value: "again" })]]));
    });

    it("rejects with a failed write's own error, whether a read follows it or not, and keeps nothing", async () => {
      const answer = { deviceId: "device-a", mutationId: "m-1", dataset: "notes", resultJson: "{}", createdAt: 1 };
      await storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
        await tx.saveDataset(makeDataset(IDENTITY_A, "notes", 1));
        await tx.saveMutation(answer);
      });
      const duplicate = (readAfter: boolean) =>
        storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
          await tx.saveRecords([makeRecord("a", 2)]);
          await tx.saveMutation(answer); // the same (device, mutation) again: refused as a duplicate
          await tx.saveDataset(makeDataset(IDENTITY_A, "notes", 2));
          if (readAfter) await tx.getRecords(["a"]);
        });
      await expect(duplicate(true)).rejects.toThrow(/unique/i);
      await expect(duplicate(false)).rejects.toThrow(/unique/i);
      expect(await readAll(IDENTITY_A, "notes")).toEqual({ dataset: makeDataset(IDENTITY_A, "notes", 1), records: [] });
    });

    it("countLiveDatasets counts the identity's live datasets, one created in this transaction included", async () => {
      await commitPush(storage(), IDENTITY_A, "one", 1, []);
      await commitPush(storage(), IDENTITY_A, "two", 1, []);
      await commitPush(storage(), IDENTITY_B, "other", 1, []);
      const trash = makeDataset(IDENTITY_A, "trash", 2, { deleted: true, deletedAtSyncCount: 2 });
      await storage().datasets.writeDataset(IDENTITY_A, "trash", (tx) => tx.saveDataset(trash));
      const counts = await storage().datasets.writeDataset(IDENTITY_A, "three", async (tx) => {
        const before = await tx.countLiveDatasets();
        await tx.saveDataset(makeDataset(IDENTITY_A, "three", 1));
        return [before, await tx.countLiveDatasets()];
      });
      expect(counts).toEqual([2, 3]);
    });

    it("a reader does not see a write transaction's rows before it commits", async () => {
      const committed = deferred();
      const push = storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
        await tx.saveRecords([makeRecord("secret", 1)]);
        await tx.saveDataset(makeDataset(IDENTITY_A, "notes", 1));
        expect(await readAll(IDENTITY_A, "notes")).toEqual({ dataset: null, records: [] });
        expect(await storage().datasets.getDataset(IDENTITY_A, "notes")).toBeNull();
        expect(await storage().datasets.listDatasets(IDENTITY_A)).toEqual([]);
        await committed.promise;
      });
      await yieldToOthers();
      expect(await readAll(IDENTITY_A, "notes")).toEqual({ dataset: null, records: [] });
      committed.resolve();
      await push;
      expect((await readAll(IDENTITY_A, "notes")).records.map((record) => record.key)).toEqual(["secret"]);
    });

    it("refuses a transaction handle used after its callback finished", async () => {
      let leaked: DatasetWriteTx | undefined;
      await storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
        leaked = tx;
        await tx.saveDataset(makeDataset(IDENTITY_A, "notes", 1));
      });
      await expect(leaked!.saveRecords([makeRecord("late", 1)])).rejects.toThrow();
      await expect(leaked!.getAllRecords()).rejects.toThrow();
      expect((await readAll(IDENTITY_A, "notes")).records).toEqual([]);
    });

    it("refuses to save another dataset's row inside a dataset's transaction", async () => {
      const attempt = storage().datasets.writeDataset(IDENTITY_A, "notes", (tx) => tx.saveDataset(makeDataset(IDENTITY_B, "notes", 1)));
      await expect(attempt).rejects.toThrow();
      expect(await storage().datasets.getDataset(IDENTITY_B, "notes")).toBeNull();
      expect(await storage().datasets.getDataset(IDENTITY_A, "notes")).toBeNull();
    });
  });
}
