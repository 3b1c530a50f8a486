/**
 * The consumer runner and its shard workers over a real (SQLite) stream: how soon a committed event
 * reaches a consumer (the wake-up path has no timer and no event-loop turn in it), and that a
 * checkpoint write waiting its turn at the database holds up no delivery, while no more than one
 * batch is ever delivered and not yet saved (all that a crash may offer again); that an event
 * committed in this process and handed over with the wake-up is delivered without reading the
 * shard, and that one which is not the next needed still comes after the ones before it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { silentLogger } from "../../server/logger.js";
import { openSqliteStorage, type SqliteStorage } from "../../server/storage/sqlite.js";
import type { Checkpoint, StreamEventRow, StreamStore } from "../../server/storage/stream-store.js";
import type { Consumer, StreamRecord } from "../../server/stream/consumer.js";
import { ConsumerRunner, type ConsumerRunnerOptions } from "../../server/stream/consumer-runner.js";
import { BASE_MS, IDENTITY_A, deferred, makeDataset } from "../conformance/storage-fixtures.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openStorage(): Promise<SqliteStorage> {
  const dir = await mkdtemp(join(tmpdir(), "syncpool-runner-"));
  const storage = await openSqliteStorage({ file: join(dir, "syncpool.db"), synchronous: "NORMAL" });
  cleanups.push(() => rm(dir, { recursive: true, force: true }), () => storage.close());
  await storage.migrate();
  return storage;
}

/** Commits `count` events to shard 0 of the default pool in one dataset transaction. */
async function append(storage: SqliteStorage, count: number): Promise<void> {
  await storage.datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
    await tx.saveDataset(makeDataset(IDENTITY_A, "notes", (tx.dataset?.syncCount ?? 0) + 1));
    for (let index = 0; index < count; index++) {
      await tx.appendEvent({ poolId: "default", shard: 0, partitionKey: IDENTITY_A, arrivedAt: BASE_MS, data: "{}" });
    }
  });
}

/** Commits one event to shard 0 and answers it as stored, as `appendCommitted` does. */
async function appendOne(storage: SqliteStorage, data: string): Promise<StreamEventRow> {
  return storage.datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
    await tx.saveDataset(makeDataset(IDENTITY_A, "notes", (tx.dataset?.syncCount ?? 0) + 1));
    const input = { poolId: "default", shard: 0, partitionKey: IDENTITY_A, arrivedAt: BASE_MS, data };
    const { sequence, arrivedAt } = await tx.appendEvent(input);
    return { ...input, sequence, arrivedAt };
  });
}

/** The stream store, counting the reads of heads and events the runner makes. */
function countingReads(stream: StreamStore): { stream: StreamStore; reads: () => number } {
  let reads = 0;
  const counted: StreamStore = Object.assign(Object.create(stream) as StreamStore, {
    streamHeads: () => (reads++, stream.streamHeads()),
    readStreamEvents: (...args: Parameters<StreamStore["readStreamEvents"]>) => (reads++, stream.readStreamEvents(...args)),
  });
  return { stream: counted, reads: () => reads };
}

/** A consumer that records the sequence numbers it is handed, and `log`s them. */
function recordingConsumer(log: string[] = []): Consumer & { delivered: number[] } {
  const delivered: number[] = [];
  return {
    name: "recorder",
    kind: "handler",
    accepts: () => true,
    maxAttempts: 3,
    delivered,
    async deliver(record: StreamRecord) {
      delivered.push(Number(record.sequenceNumber));
      log.push(`delivered ${record.sequenceNumber}`);
    },
  };
}

function startRunner(stream: StreamStore, consumer: Consumer, options: ConsumerRunnerOptions = {}): ConsumerRunner {
  // An hour between polls: anything delivered in these tests was delivered because of a wake-up.
  const runner = new ConsumerRunner({ storage: stream, consumers: [consumer], now: Date.now, logger: silentLogger(), options: { pollIntervalMs: 3_600_000, ...options } });
  cleanups.push(() => runner.close());
  runner.start();
  return runner;
}

it("hands a committed event to its consumer within the wake-up's own event-loop turn, with no timer between", async () => {
  const storage = await openStorage();
  const consumer = recordingConsumer();
  const runner = startRunner(storage.stream, consumer);
  await append(storage, 1);
  runner.wake();
  // Only microtasks run here: a timer, setImmediate or I/O wait on the way would leave it undelivered.
  for (let turn = 0; turn < 1000 && consumer.delivered.length === 0; turn++) await Promise.resolve();
  expect(consumer.delivered).toEqual([1]);
});

it("delivers new events while the last checkpoint write still waits, and never has more than one batch unsaved", async () => {
  const storage = await openStorage();
  const log: string[] = [];
  const firstWrite = deferred();
  let writes = 0;
  // The stream store with checkpoint writes that take their turn late, as behind a storm's group commits.
  const stream: StreamStore = Object.assign(Object.create(storage.stream) as StreamStore, {
    async saveCheckpoint(checkpoint: Checkpoint) {
      if (writes++ === 0) await firstWrite.promise;
      await storage.stream.saveCheckpoint(checkpoint);
      log.push(`saved ${checkpoint.sequence}`);
    },
  });
  const consumer = recordingConsumer(log);
  const runner = startRunner(stream, consumer, { batchSize: 3 });

  await append(storage, 2);
  runner.wake();
  await expect.poll(() => consumer.delivered).toEqual([1, 2]);
  await append(storage, 5);
  runner.wake();
  // Event 3 goes out while the write of checkpoint 2 is held; 4 would make four unsaved events.
  await expect.poll(() => consumer.delivered).toEqual([1, 2, 3]);
  expect(log).not.toContain("saved 2");
  firstWrite.resolve();
  await expect.poll(() => consumer.delivered).toEqual([1, 2, 3, 4, 5, 6, 7]);
  await expect.poll(async () => (await storage.stream.getCheckpoints("recorder")).map((checkpoint) => checkpoint.sequence)).toEqual([7]);

  let saved = 0;
  for (const entry of log) {
    const [what, sequence] = entry.split(" ") as [string, string];
    if (what === "saved") saved = Math.max(saved, Number(sequence));
    else expect(Number(sequence) - saved, `${entry} after checkpoint ${saved}`).toBeLessThanOrEqual(3);
  }
});

it("delivers an event committed here from the wake-up's hand, reading neither the heads nor the shard", async () => {
  const storage = await openStorage();
  const { stream, reads } = countingReads(storage.stream);
  const consumer = recordingConsumer();
  const bodies: string[] = [];
  const deliver = consumer.deliver.bind(consumer);
  consumer.deliver = async (record) => (bodies.push(JSON.stringify(record.data)), deliver(record));
  const runner = startRunner(stream, consumer);
  runner.wake([await appendOne(storage, '{"n":1}')]); // the shard's first event: its worker is made by reading the heads
  await expect.poll(() => consumer.delivered).toEqual([1]);
  const readsBefore = reads();
  runner.wake([await appendOne(storage, '{"n":2}')]);
  for (let turn = 0; turn < 1000 && consumer.delivered.length < 2; turn++) await Promise.resolve();
  expect(consumer.delivered).toEqual([1, 2]);
  expect(bodies).toEqual(['{"n":1}', '{"n":2}']);
  expect(reads()).toBe(readsBefore);
});

it("reads the events before a handed-over one that is not the next, and delivers all in order", async () => {
  const storage = await openStorage();
  const consumer = recordingConsumer();
  const runner = startRunner(storage.stream, consumer);
  runner.wake([await appendOne(storage, "{}")]);
  await expect.poll(() => consumer.delivered).toEqual([1]);
  await append(storage, 2); // committed elsewhere (another instance, the CLI): nobody hands them over
  runner.wake([await appendOne(storage, "{}")]);
  await expect.poll(() => consumer.delivered).toEqual([1, 2, 3, 4]);
});
