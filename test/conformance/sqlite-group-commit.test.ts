/**
 * SQLite's group commit (`server/storage/sqlite-group-commit.ts`) on a real file: concurrent
 * dataset writes share one transaction and one COMMIT, each is still all or nothing, none is
 * answered before its group committed, and a group takes later writes only while it is young.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { Mutex } from "../../server/storage/mutex.js";
import { openStorage } from "../../server/storage/open-storage.js";
import { SqliteGroupCommit } from "../../server/storage/sqlite-group-commit.js";
import { sqliteSession } from "../../server/storage/sqlite-rows.js";
import type { Storage } from "../../server/storage/storage.js";
import { IDENTITY_A, IDENTITY_B, makeDataset, makeRecord } from "./storage-fixtures.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openTempStorage(): Promise<Storage> {
  const dir = await mkdtemp(join(tmpdir(), "syncpool-group-"));
  const storage = await openStorage({ dataDir: dir });
  cleanups.push(() => rm(dir, { recursive: true, force: true }), () => storage.close());
  return storage;
}

/** A dataset write that saves one record at sync count 1 and, with `refuse`, then throws. */
function write(storage: Storage, identityId: string, name: string, events: string[], refuse?: Error): Promise<string> {
  return storage.datasets.writeDataset(identityId, name, async (tx) => {
    events.push(`run ${name}`);
    await tx.saveRecords([makeRecord("k", 1, { value: name })]);
    await tx.saveDataset(makeDataset(identityId, name, 1, { recordCount: 1 }));
    if (refuse) throw refuse;
    return name;
  });
}

describe("sqlite group commit", () => {
  it("commits concurrent dataset writes together and answers none before the group commits", async () => {
    const storage = await openTempStorage();
    const events: string[] = [];
    let seenByReaderBeforeCommit: unknown = "not checked";
    const first = write(storage, IDENTITY_A, "first", events).then((name) => (events.push(`answered ${name}`), name));
    const last = storage.datasets.writeDataset(IDENTITY_B, "last", async (tx) => {
      events.push("run last");
      // The reader connection sees only committed state: the first write is in this same transaction, not yet committed.
      seenByReaderBeforeCommit = await storage.datasets.getDataset(IDENTITY_A, "first");
      await tx.saveDataset(makeDataset(IDENTITY_B, "last", 1));
      return "last";
    }).then((name) => (events.push(`answered ${name}`), name));

    expect(await Promise.all([first, last])).toEqual(["first", "last"]);
    expect(seenByReaderBeforeCommit).toBeNull();
    expect(events).toEqual(["run first", "run last", "answered first", "answered last"]);
    expect(await storage.datasets.getDataset(IDENTITY_A, "first")).toMatchObject({ syncCount: 1 });
    expect(await storage.datasets.getDataset(IDENTITY_B, "last")).toMatchObject({ syncCount: 1 });
  });

  it("rolls back only the refused write of a group; its neighbours commit and are answered", async () => {
    const storage = await openTempStorage();
    const events: string[] = [];
    const refusal = new Error("refused by its own rules");
    const results = await Promise.allSettled([
      write(storage, IDENTITY_A, "before", events),
      write(storage, IDENTITY_A, "refused", events, refusal),
      write(storage, IDENTITY_B, "after", events),
    ]);

    expect(events).toEqual(["run before", "run refused", "run after"]);
    expect(results).toEqual([
      { status: "fulfilled", value: "before" },
      { status: "rejected", reason: refusal },
      { status: "fulfilled", value: "after" },
    ]);
    expect(await storage.datasets.getDataset(IDENTITY_A, "refused")).toBeNull();
    const refusedRecords = await storage.datasets.readRecords(IDENTITY_A, "refused", { sinceSyncCount: 0, limit: 10 });
    expect(refusedRecords.records).toEqual([]);
    for (const [identityId, name] of [[IDENTITY_A, "before"], [IDENTITY_B, "after"]] as const) {
      const stored = await storage.datasets.readRecords(identityId, name, { sinceSyncCount: 0, limit: 10 });
      expect(stored.dataset, name).toMatchObject({ syncCount: 1 });
      expect(stored.records.map((record) => record.value), name).toEqual([name]);
    }
  });

  it("applies two writes of one dataset in one group in order, the second seeing the first", async () => {
    const storage = await openTempStorage();
    const counts = await Promise.all(
      [0, 1, 2].map(() =>
        storage.datasets.writeDataset(IDENTITY_A, "one", async (tx) => {
          const syncCount = (tx.dataset?.syncCount ?? 0) + 1;
          await tx.saveDataset(makeDataset(IDENTITY_A, "one", syncCount));
          return syncCount;
        }),
      ),
    );
    expect(counts).toEqual([1, 2, 3]);
    expect(await storage.datasets.getDataset(IDENTITY_A, "one")).toMatchObject({ syncCount: 3 });
  });

  it("refuses a dataset write started from inside another at once instead of waiting for its own group", async () => {
    const storage = await openTempStorage();
    const nested = storage.datasets.writeDataset(IDENTITY_A, "outer", () => storage.datasets.writeDataset(IDENTITY_A, "inner", async () => "inner"));
    await expect(nested).rejects.toThrow(/not reentrant/);
    // The writer is free again: a later write commits.
    await expect(write(storage, IDENTITY_B, "later", [])).resolves.toBe("later");
  });

  it("takes a write that arrives while the group is young, and leaves one that arrives later to the next COMMIT", async () => {
    const dir = await mkdtemp(join(tmpdir(), "syncpool-group-"));
    const db = new Database(join(dir, "group.db"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }), async () => void db.close());
    db.exec("CREATE TABLE writes (name TEXT)");
    const lock = new Mutex();
    let clock = 0;
    const group = new SqliteGroupCommit(db, sqliteSession(db), (fn) => lock.runExclusive(fn), lock, { maxOpenMs: 5, now: () => clock });
    const events: string[] = [];
    /** A write that takes `ms` on the group's clock; `ran` resolves once it has run, before its group commits. */
    const write = (name: string, ms: number): { ran: Promise<void>; answered: Promise<string> } => {
      let ran!: () => void;
      const ranPromise = new Promise<void>((resolve) => (ran = resolve));
      const answered = group.run(async () => {
        events.push(`run ${name}`);
        db.prepare("INSERT INTO writes (name) VALUES (?)").run(name);
        clock += ms;
        ran();
        return name;
      }).then(() => (events.push(`answered ${name}`), name));
      return { ran: ranPromise, answered };
    };

    // 1 ms into the group: a write that arrives now joins it.
    const early = write("early", 1);
    await early.ran;
    const joins = write("joins", 0);
    await Promise.all([early.answered, joins.answered]);
    expect(events.splice(0)).toEqual(["run early", "run joins", "answered early", "answered joins"]);

    // 6 ms into the group (past its 5): the first write commits and is answered without the later one.
    const slow = write("slow", 6);
    await slow.ran;
    const later = write("next group", 0);
    await Promise.all([slow.answered, later.answered]);
    expect(events).toEqual(["run slow", "answered slow", "run next group", "answered next group"]);
    expect(db.prepare("SELECT name FROM writes ORDER BY rowid").pluck().all()).toEqual(["early", "joins", "slow", "next group"]);
  });
});
