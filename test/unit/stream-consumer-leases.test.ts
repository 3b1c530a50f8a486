/**
 * `ConsumerLeases`, the claim of every shard worker, over a real (SQLite) lease table with a clock
 * the test moves: who may feed a shard, when a claim is answered from memory, and when a worker is
 * told to reload its checkpoint ("acquired").
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { silentLogger } from "../../server/logger.js";
import { openSqliteStorage, type SqliteStorage } from "../../server/storage/sqlite.js";
import { ConsumerLeases } from "../../server/stream/consumer-leases.js";

const TTL = 3000;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp() {
  const dir = await mkdtemp(join(tmpdir(), "syncpool-leases-"));
  const storage: SqliteStorage = await openSqliteStorage({ file: join(dir, "syncpool.db"), synchronous: "NORMAL" });
  cleanups.push(() => rm(dir, { recursive: true, force: true }), () => storage.close());
  await storage.migrate();
  let time = 1_000_000;
  const clock = { now: () => time, advance: (ms: number) => (time += ms) };
  const instance = (holder: string) => {
    const leases = new ConsumerLeases({ storage: storage.leases, holder, ttlMs: TTL, now: clock.now, logger: silentLogger() });
    cleanups.push(() => leases.close());
    return leases;
  };
  return { storage, clock, instance };
}

it("gives a shard to one instance, answers from memory while trusted, and says when it was (re)acquired", async () => {
  const { storage, clock, instance } = await setUp();
  const a = instance("a");
  const b = instance("b");
  expect(await a.claim("hook", "default", 0)).toBe("acquired");
  expect(await b.claim("hook", "default", 0)).toBe(false);
  expect(await b.claim("hook", "default", 1)).toBe("acquired");
  clock.advance(TTL / 2);
  expect(await a.claim("hook", "default", 0)).toBe("held"); // from memory
  clock.advance(TTL); // a never renewed (no timer running): its lease expired
  expect(await b.claim("hook", "default", 0)).toBe("acquired");
  expect(await a.claim("hook", "default", 0)).toBe(false);
  expect(a.held()).toEqual([]);
  expect((await storage.leases.listLeases()).map((lease) => [lease.shard, lease.holder, lease.epoch])).toEqual([
    [0, "b", 2],
    [1, "b", 1],
  ]);
});

it("renews an expired lease nobody took as still held, without a checkpoint reload", async () => {
  const { clock, instance } = await setUp();
  const a = instance("a");
  expect(await a.claim("hook", "default", 0)).toBe("acquired");
  clock.advance(TTL * 5);
  expect(await a.claim("hook", "default", 0)).toBe("held");
});

it("releases its leases on close, so another instance takes them at once", async () => {
  const { instance } = await setUp();
  const a = instance("a");
  const b = instance("b");
  expect(await a.claim("hook", "default", 0)).toBe("acquired");
  await a.close();
  expect(await a.claim("hook", "default", 0)).toBe(false);
  expect(await b.claim("hook", "default", 0)).toBe("acquired"); // no retry wait: b had not been refused yet
});

it("does not ask the database again for a shard another instance holds until a third of the lease passed", async () => {
  const { storage, clock, instance } = await setUp();
  const a = instance("a");
  const b = instance("b");
  await a.claim("hook", "default", 0);
  expect(await b.claim("hook", "default", 0)).toBe(false);
  await storage.leases.releaseLeases("a"); // behind a's back: b does not look yet
  expect(await b.claim("hook", "default", 0)).toBe(false);
  clock.advance(TTL / 3);
  expect(await b.claim("hook", "default", 0)).toBe("acquired");
});
