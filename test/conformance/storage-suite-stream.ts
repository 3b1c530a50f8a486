/**
 * Conformance: the event stream's storage. Events append inside dataset transactions with
 * gap-free per-shard sequences in commit order and arrival times that never go backwards; reads,
 * time lookups and trimming by shard; consumer checkpoints and dead letters; the pool walk and
 * the one-at-a-time claim of bulk publishes.
 */
import { describe, expect, it } from "vitest";
import type { DatasetWriteTx, Storage } from "../../server/storage/storage.js";
import type { AppendEventInput, BulkPublishRow } from "../../server/storage/stream-store.js";
import { BASE_MS, IDENTITY_A, IDENTITY_B, commitPush, deferred, makeDataset } from "./storage-fixtures.js";

const event = (overrides: Partial<AppendEventInput> = {}): AppendEventInput => ({
  poolId: "default",
  shard: 0,
  partitionKey: IDENTITY_A,
  arrivedAt: BASE_MS,
  data: JSON.stringify({ n: 1, text: "ünï\u0000cødé" }),
  ...overrides,
});

/** Registers the stream tests; `storage` returns the current test's storage. */
export function describeStream(storage: () => Storage): void {
  /** Appends `events` in one committed transaction on (identity, dataset), with a dataset row so it may commit. */
  const append = (events: AppendEventInput[], identityId = IDENTITY_A, dataset = "notes") =>
    storage().datasets.writeDataset(identityId, dataset, async (tx: DatasetWriteTx) => {
      await tx.saveDataset(makeDataset(identityId, dataset, (tx.dataset?.syncCount ?? 0) + 1));
      const appended = [];
      for (const item of events) appended.push(await tx.appendEvent(item));
      return appended;
    });

  describe("stream events", () => {
    it("numbers events per pool and shard from 1, gap-free, and returns them as written", async () => {
      expect(await append([event(), event(), event({ shard: 1 })])).toEqual([
        { shard: 0, sequence: 1, arrivedAt: BASE_MS },
        { shard: 0, sequence: 2, arrivedAt: BASE_MS },
        { shard: 1, sequence: 1, arrivedAt: BASE_MS },
      ]);
      expect((await append([event({ poolId: "other" })]))[0]!.sequence).toBe(1);
      expect(await storage().stream.readStreamEvents("default", 0, 1, 10)).toEqual([
        { poolId: "default", shard: 0, sequence: 1, partitionKey: IDENTITY_A, arrivedAt: BASE_MS, data: event().data },
        { poolId: "default", shard: 0, sequence: 2, partitionKey: IDENTITY_A, arrivedAt: BASE_MS, data: event().data },
      ]);
      expect((await storage().stream.readStreamEvents("default", 0, 2, 10)).map((row) => row.sequence)).toEqual([2]);
      expect((await storage().stream.readStreamEvents("default", 0, 1, 1)).map((row) => row.sequence)).toEqual([1]);
    });

    it("stops a read at maxBytes of bodies, but always returns the first event", async () => {
      await append([event({ data: "a".repeat(300) }), event({ data: "b".repeat(300) }), event({ data: "c".repeat(300) })]);
      expect((await storage().stream.readStreamEvents("default", 0, 1, 10, 650)).map((row) => row.sequence)).toEqual([1, 2]);
      expect((await storage().stream.readStreamEvents("default", 0, 2, 10, 100)).map((row) => row.sequence)).toEqual([2]);
      expect((await storage().stream.readStreamEvents("default", 0, 1, 2, 10_000)).map((row) => row.sequence)).toEqual([1, 2]);
    });

    it("never lets arrival times go backwards within a shard", async () => {
      await append([event({ arrivedAt: BASE_MS + 500 })]);
      const [late] = await append([event({ arrivedAt: BASE_MS })]);
      expect(late).toEqual({ shard: 0, sequence: 2, arrivedAt: BASE_MS + 500 });
    });

    it("keeps no event and uses no sequence when the transaction rolls back", async () => {
      const failing = storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
        await tx.saveDataset(makeDataset(IDENTITY_A, "notes", 1));
        await tx.appendEvent(event());
        throw new Error("trigger failed");
      });
      await expect(failing).rejects.toThrow("trigger failed");
      expect(await storage().stream.readStreamEvents("default", 0, 1, 10)).toEqual([]);
      expect((await append([event()]))[0]!.sequence).toBe(1);
    });

    it("orders sequences by commit: a second writer of the shard waits, then takes the next number", async () => {
      const release = deferred();
      const firstAppended = deferred();
      const first = storage().datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
        await tx.saveDataset(makeDataset(IDENTITY_A, "notes", 1));
        const appended = await tx.appendEvent(event({ data: '"first"' }));
        firstAppended.resolve();
        await release.promise;
        return appended;
      });
      // The second writer starts only once the first holds the shard: on PostgreSQL the first
      // transaction takes several round trips to get there, more than any number of event-loop turns.
      await firstAppended.promise;
      const second = append([event({ partitionKey: IDENTITY_B, data: '"second"' })], IDENTITY_B, "other");
      expect(await storage().stream.readStreamEvents("default", 0, 1, 10)).toEqual([]); // nothing committed yet
      release.resolve();
      expect((await first).sequence).toBe(1);
      expect((await second)[0]!.sequence).toBe(2);
      expect((await storage().stream.readStreamEvents("default", 0, 1, 10)).map((row) => row.data)).toEqual(['"first"', '"second"']);
    });

    it("trims a shard whose events arrived at the same time in sequence order, so what remains stays contiguous", async () => {
      await append([event(), event(), event(), event()]);
      for (const firstLeft of [2, 3, 4]) {
        expect(await storage().stream.trimStream("default", 0, BASE_MS + 1, 1)).toBe(1);
        expect((await storage().stream.readStreamEvents("default", 0, 1, 10)).map((row) => row.sequence)[0]).toBe(firstLeft);
        expect((await storage().stream.streamShards("default"))[0]).toMatchObject({ firstSequence: firstLeft, lastSequence: 4 });
      }
    });

    it("describes shards and heads, and finds the first event at or after a time", async () => {
      await append([event({ arrivedAt: BASE_MS }), event({ arrivedAt: BASE_MS + 10 }), event({ arrivedAt: BASE_MS + 10 })]);
      await append([event({ shard: 2, arrivedAt: BASE_MS + 20 })]);
      expect(await storage().stream.streamShards("default")).toEqual([
        { poolId: "default", shard: 0, firstSequence: 1, lastSequence: 3, lastArrivedAt: BASE_MS + 10 },
        { poolId: "default", shard: 2, firstSequence: 1, lastSequence: 1, lastArrivedAt: BASE_MS + 20 },
      ]);
      expect(await storage().stream.streamHeads()).toEqual([
        { poolId: "default", shard: 0, lastSequence: 3, lastArrivedAt: BASE_MS + 10 },
        { poolId: "default", shard: 2, lastSequence: 1, lastArrivedAt: BASE_MS + 20 },
      ]);
      expect(await storage().stream.streamShards("nobody")).toEqual([]);
      expect(await storage().stream.findStreamSequenceAt("default", 0, BASE_MS - 1)).toBe(1);
      expect(await storage().stream.findStreamSequenceAt("default", 0, BASE_MS + 1)).toBe(2);
      expect(await storage().stream.findStreamSequenceAt("default", 0, BASE_MS + 11)).toBeNull();
    });

    it("trims only events older than the cutoff, oldest first, in batches, and keeps the numbering", async () => {
      await append([0, 1, 2, 3, 4].map((n) => event({ arrivedAt: BASE_MS + n * 1000 })));
      await append([event({ shard: 1, arrivedAt: BASE_MS })]);
      expect(await storage().stream.trimStream("default", 0, BASE_MS + 3000, 2)).toBe(2);
      expect(await storage().stream.trimStream("default", 0, BASE_MS + 3000, 2)).toBe(1);
      expect(await storage().stream.trimStream("default", 0, BASE_MS + 3000, 2)).toBe(0);
      expect((await storage().stream.readStreamEvents("default", 0, 1, 10)).map((row) => row.sequence)).toEqual([4, 5]);
      expect((await storage().stream.streamShards("default"))[0]).toMatchObject({ firstSequence: 4, lastSequence: 5 });
      expect((await storage().stream.readStreamEvents("default", 1, 1, 10)).length).toBe(1); // another shard is untouched
      await storage().stream.trimStream("default", 0, BASE_MS + 10_000, 10);
      expect((await storage().stream.streamShards("default"))[0]).toMatchObject({ firstSequence: null, lastSequence: 5 });
      expect((await append([event()]))[0]!.sequence).toBe(6);
    });
  });

  describe("stream consumers", () => {
    const checkpoint = (sequence: number, shard = 0) => ({ consumer: "audit", poolId: "default", shard, sequence, updatedAt: BASE_MS });

    it("keeps a checkpoint per consumer, pool and shard that never moves backwards", async () => {
      await storage().stream.saveCheckpoint(checkpoint(5));
      await storage().stream.saveCheckpoint(checkpoint(3));
      await storage().stream.saveCheckpoint(checkpoint(2, 1));
      await storage().stream.saveCheckpoint({ ...checkpoint(9), consumer: "other" });
      expect(await storage().stream.getCheckpoints("audit")).toEqual([checkpoint(5), checkpoint(2, 1)]);
      expect(await storage().stream.getCheckpoints("nobody")).toEqual([]);
    });

    it("parks dead letters with their event, moving the checkpoint past them in the same step", async () => {
      const letter = {
        consumer: "audit",
        poolId: "default",
        shard: 0,
        sequence: 7,
        partitionKey: IDENTITY_A,
        arrivedAt: BASE_MS,
        data: '{"k":"v"}',
        attempts: 3,
        lastError: "HTTP 500 \u0000",
        failedAt: BASE_MS + 1,
      };
      const first = await storage().stream.addDeadLetter(letter);
      const second = await storage().stream.addDeadLetter({ ...letter, consumer: "other", poolId: "p2", sequence: 8 });
      expect(second.id).toBeGreaterThan(first.id);
      expect((await storage().stream.getCheckpoints("audit"))[0]!.sequence).toBe(7);
      const [stored] = await storage().stream.listDeadLetters({ consumer: "audit", limit: 10 });
      expect(stored).toMatchObject({ ...letter, id: first.id, lastError: expect.stringMatching(/^HTTP 500/) });
      expect(await storage().stream.getDeadLetter(first.id)).toEqual(stored);
      expect((await storage().stream.listDeadLetters({ poolId: "p2", limit: 10 })).map((row) => row.id)).toEqual([second.id]);
      expect((await storage().stream.listDeadLetters({ afterId: first.id, limit: 10 })).map((row) => row.id)).toEqual([second.id]);
      await storage().stream.updateDeadLetter(first.id, 4, "timeout", BASE_MS + 2);
      expect(await storage().stream.getDeadLetter(first.id)).toMatchObject({ attempts: 4, lastError: "timeout", failedAt: BASE_MS + 2 });
      expect(await storage().stream.deleteDeadLetter(first.id)).toBe(true);
      expect(await storage().stream.deleteDeadLetter(first.id)).toBe(false);
      expect(await storage().stream.getDeadLetter(first.id)).toBeNull();
    });
  });

  describe("free text", () => {
    const nul = "HTTP 500 \u0000 at byte 0, then \u0001";

    it("keeps a dead letter's error text as written, U+0000 and U+0001 included, on every backend", async () => {
      const letter = {
        consumer: "audit",
        poolId: "default",
        shard: 0,
        sequence: 1,
        partitionKey: IDENTITY_A,
        arrivedAt: BASE_MS,
        data: "{}",
        attempts: 1,
        lastError: nul,
        failedAt: BASE_MS,
      };
      const added = await storage().stream.addDeadLetter(letter);
      expect(added).toEqual({ ...letter, id: added.id });
      expect(await storage().stream.getDeadLetter(added.id)).toEqual(added);
      await storage().stream.updateDeadLetter(added.id, 2, `${nul} again`, BASE_MS + 1);
      expect((await storage().stream.listDeadLetters({ consumer: "audit", limit: 10 }))[0]!.lastError).toBe(`${nul} again`);
    });

    it("keeps a bulk publish's failure text as written, U+0000 included", async () => {
      const failed: BulkPublishRow = {
        poolId: "default",
        status: "FAILED",
        startedAt: BASE_MS,
        finishedAt: BASE_MS + 1,
        heartbeatAt: BASE_MS + 1,
        total: 1,
        published: 0,
        failure: nul,
      };
      expect(await storage().stream.claimBulkPublish(failed, 0)).toBe(true);
      expect(await storage().stream.getBulkPublish("default")).toEqual(failed);
      await storage().stream.updateBulkPublish({ ...failed, failure: `${nul} later` });
      expect((await storage().stream.getBulkPublish("default"))!.failure).toBe(`${nul} later`);
    });
  });

  describe("bulk publish bookkeeping", () => {
    const row = (overrides: Partial<BulkPublishRow> = {}): BulkPublishRow => ({
      poolId: "default",
      status: "IN_PROGRESS",
      startedAt: BASE_MS,
      finishedAt: null,
      heartbeatAt: BASE_MS,
      total: 3,
      published: 0,
      failure: null,
      ...overrides,
    });

    it("walks the live datasets of a pool's identities in pages", async () => {
      await storage().pools.createIdentity({ id: IDENTITY_A, poolId: "default", secretHash: null, createdAt: BASE_MS });
      await storage().pools.createIdentity({ id: IDENTITY_B, poolId: "other", secretHash: null, createdAt: BASE_MS });
      for (const name of ["b", "a", "c"]) await commitPush(storage(), IDENTITY_A, name, 1, []);
      await commitPush(storage(), IDENTITY_B, "x", 1, []);
      await storage().datasets.writeDataset(IDENTITY_A, "c", (tx) => tx.saveDataset(makeDataset(IDENTITY_A, "c", 2, { deleted: true, deletedAtSyncCount: 2 })));
      expect(await storage().stream.countPoolDatasets("default")).toBe(2);
      expect(await storage().stream.listPoolDatasets("default", null, 1)).toEqual([{ identityId: IDENTITY_A, name: "a" }]);
      expect(await storage().stream.listPoolDatasets("default", { identityId: IDENTITY_A, name: "a" }, 10)).toEqual([{ identityId: IDENTITY_A, name: "b" }]);
    });

    it("lets one job of a pool run at a time, until its heartbeat goes stale", async () => {
      expect(await storage().stream.getBulkPublish("default")).toBeNull();
      expect(await storage().stream.claimBulkPublish(row(), BASE_MS - 60_000)).toBe(true);
      expect(await storage().stream.claimBulkPublish(row({ startedAt: BASE_MS + 1 }), BASE_MS - 60_000)).toBe(false);
      await storage().stream.updateBulkPublish(row({ published: 2, heartbeatAt: BASE_MS + 5 }));
      expect(await storage().stream.getBulkPublish("default")).toEqual(row({ published: 2, heartbeatAt: BASE_MS + 5 }));
      // Its process died: a later claim whose stale limit is past the heartbeat takes over.
      expect(await storage().stream.claimBulkPublish(row({ startedAt: BASE_MS + 100 }), BASE_MS + 6)).toBe(true);
      await storage().stream.updateBulkPublish(row({ startedAt: BASE_MS, status: "FAILED" })); // the old job's late write changes nothing
      const done = row({ startedAt: BASE_MS + 100, status: "SUCCEEDED", finishedAt: BASE_MS + 200, published: 3 });
      await storage().stream.updateBulkPublish(done);
      expect(await storage().stream.getBulkPublish("default")).toEqual(done);
      expect(await storage().stream.claimBulkPublish(row({ startedAt: BASE_MS + 300 }), 0)).toBe(true);
    });
  });
}
