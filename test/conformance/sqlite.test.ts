/**
 * The SQLite adapter: the shared conformance suite on a real file in a temp directory, plus what
 * only SQLite has (durability settings, the file surviving a reopen, the migration runner).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openStorage } from "../../server/storage/open-storage.js";
import { openSqliteStorage, type SqliteStorage } from "../../server/storage/sqlite.js";
import { SQLITE_MIGRATIONS, migrateSqlite } from "../../server/storage/sqlite-migrations.js";
import { IDENTITY_A, commitPush, deferred, makeDataset, makeRecord, writeInsideWrite } from "./storage-fixtures.js";
import { runStorageConformance } from "./storage-suite.js";

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "syncpool-sqlite-"));
  tempDirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

runStorageConformance("sqlite", async () => {
  const dir = await mkdtemp(join(tmpdir(), "syncpool-sqlite-"));
  // A nested path: opening creates the missing directories.
  const storage = await openSqliteStorage({ file: join(dir, "data", "nested", "syncpool.db") });
  return {
    storage,
    cleanup: async () => {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe("sqlite storage", () => {
  const opened: SqliteStorage[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((storage) => storage.close()));
  });
  async function openMigrated(file: string, synchronous?: "FULL" | "NORMAL"): Promise<SqliteStorage> {
    const storage = await openSqliteStorage(synchronous ? { file, synchronous } : { file });
    opened.push(storage);
    await storage.migrate();
    return storage;
  }

  it("runs WAL with synchronous FULL, foreign keys and temporary files in memory on both connections by default", async () => {
    const storage = await openMigrated(join(await tempDir(), "syncpool.db"));
    const expected = { journalMode: "wal", synchronous: "FULL", foreignKeys: true, busyTimeoutMs: 5000, tempStore: "MEMORY" };
    expect(storage.connectionSettings()).toEqual({ writer: expected, reader: expected });
  });

  it("uses synchronous NORMAL only when asked", async () => {
    const storage = await openMigrated(join(await tempDir(), "syncpool.db"), "NORMAL");
    expect(storage.connectionSettings().writer.synchronous).toBe("NORMAL");
  });

  it("keeps committed data across close and reopen of the file", async () => {
    const file = join(await tempDir(), "syncpool.db");
    const first = await openMigrated(file);
    await commitPush(first, IDENTITY_A, "notes", 1, [makeRecord("kept", 1)]);
    await first.close();
    const second = await openMigrated(file);
    expect(await second.datasets.readRecords(IDENTITY_A, "notes", { sinceSyncCount: 0, limit: 10 })).toEqual({
      dataset: makeDataset(IDENTITY_A, "notes", 1, { recordCount: 1 }),
      records: [makeRecord("kept", 1)],
    });
  });

  it("close waits for the write in flight, commits it, then refuses new calls", async () => {
    const file = join(await tempDir(), "syncpool.db");
    const storage = await openMigrated(file);
    const release = deferred();
    const push = storage.datasets.writeDataset(IDENTITY_A, "notes", async (tx) => {
      await release.promise;
      await tx.saveRecords([makeRecord("late", 1)]);
      await tx.saveDataset(makeDataset(IDENTITY_A, "notes", 1));
    });
    const closed = storage.close();
    await expect(storage.datasets.getDataset(IDENTITY_A, "notes")).rejects.toThrow(/closed/);
    await expect(storage.pools.savePool({ id: "p", settings: {}, createdAt: 1 })).rejects.toThrow(/closed/);
    release.resolve();
    await push;
    await closed;
    await expect(storage.close()).resolves.toBeUndefined();
    const reopened = await openMigrated(file);
    expect((await reopened.datasets.getDataset(IDENTITY_A, "notes"))?.syncCount).toBe(1);
  });

  it("fails fast instead of deadlocking when a write method is called inside writeDataset", async () => {
    const storage = await openMigrated(join(await tempDir(), "syncpool.db"));
    const nested = storage.datasets.writeDataset(IDENTITY_A, "notes", () => storage.datasets.writeDataset(IDENTITY_A, "other", async () => 1));
    await expect(nested).rejects.toThrow(/reentrant/);
    await expect(storage.datasets.writeDataset(IDENTITY_A, "notes", async () => "still usable")).resolves.toBe("still usable");
  });

  it("with the nested-write check off, queues a write started inside another's callback behind it instead of refusing it", async () => {
    const storage = await openSqliteStorage({ file: join(await tempDir(), "syncpool.db"), detectNestedWrites: false });
    opened.push(storage);
    await storage.migrate();
    const { order, inner } = await writeInsideWrite(storage, "other");
    expect(inner).toEqual({ status: "fulfilled", value: "inner" });
    expect(order).toEqual(["outer", "inner"]);
  });

  it("refuses to commit records of a dataset that has no row", async () => {
    const storage = await openMigrated(join(await tempDir(), "syncpool.db"));
    const orphan = storage.datasets.writeDataset(IDENTITY_A, "notes", (tx) => tx.saveRecords([makeRecord("orphan", 1)]));
    await expect(orphan).rejects.toThrow(/FOREIGN KEY/);
    expect(await storage.datasets.readRecords(IDENTITY_A, "notes", { sinceSyncCount: 0, limit: 10 })).toEqual({ dataset: null, records: [] });
  });

  it("opens the embedded file under the data directory, migrated, through openStorage", async () => {
    const dataDir = join(await tempDir(), "data");
    const storage = await openStorage({ dataDir });
    await storage.pools.savePool({ id: "default", settings: {}, createdAt: 1 });
    await storage.close();
    const reopened = await openMigrated(join(dataDir, "syncpool.db"));
    expect(await reopened.pools.getPool("default")).toEqual({ id: "default", settings: {}, createdAt: 1 });
    await expect(openStorage({ dataDir, databaseUrl: "mysql://localhost/syncpool" })).rejects.toThrow(/only postgres/);
  });
});

describe("sqlite migrations", () => {
  async function rawDatabase(): Promise<BetterSqlite3.Database> {
    const db = new BetterSqlite3(join(await tempDir(), "raw.db"));
    db.pragma("journal_mode = WAL");
    return db;
  }
  const versions = (db: BetterSqlite3.Database) =>
    db.prepare<[], { version: number }>("SELECT version FROM schema_migrations ORDER BY version").all().map((r) => r.version);
  const extra = { version: SQLITE_MIGRATIONS.at(-1)!.version + 1, name: "add notes", sql: "CREATE TABLE notes (id TEXT) STRICT;" };

  it("applies pending migrations in order, records them, and applies nothing the second time", async () => {
    const db = await rawDatabase();
    try {
      expect(migrateSqlite(db)).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));
      expect(migrateSqlite(db, [...SQLITE_MIGRATIONS, extra])).toEqual([extra.version]);
      expect(migrateSqlite(db, [...SQLITE_MIGRATIONS, extra])).toEqual([]);
      expect(versions(db)).toEqual([...SQLITE_MIGRATIONS.map((m) => m.version), extra.version]);
    } finally {
      db.close();
    }
  });

  it("rolls a failing migration back entirely, recording nothing", async () => {
    const db = await rawDatabase();
    try {
      const broken = { ...extra, sql: "CREATE TABLE half (id TEXT) STRICT; THIS IS NOT SQL;" };
      expect(() => migrateSqlite(db, [...SQLITE_MIGRATIONS, broken])).toThrow();
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('half', 'pools')").all()).toEqual([]);
      expect(db.inTransaction).toBe(false);
    } finally {
      db.close();
    }
  });

  it("refuses a database migrated by a newer build, with a clear message", async () => {
    const db = await rawDatabase();
    try {
      migrateSqlite(db, [...SQLITE_MIGRATIONS, extra]);
      expect(() => migrateSqlite(db)).toThrow(/newer than this build knows/);
    } finally {
      db.close();
    }
  });

  it("refuses a migration list whose versions do not ascend", () => {
    const db = new BetterSqlite3(":memory:");
    try {
      expect(() => migrateSqlite(db, [extra, ...SQLITE_MIGRATIONS])).toThrow(/ascending/);
    } finally {
      db.close();
    }
  });
});
