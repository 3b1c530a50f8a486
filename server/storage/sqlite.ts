/**
 * The embedded storage: one SQLite file (better-sqlite3, WAL). Two connections: a writer, owned by
 * one transaction at a time through an async mutex, and a reader, which in WAL mode sees only the
 * last committed state, so a pull never sees a push that has not committed. SQLite allows one
 * writer per file anyway, so serializing every write in-process costs nothing and gives
 * `writeDataset` its guarantee (one writer per dataset) for free.
 */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Mutex } from "./mutex.js";
import type { DatasetConnections } from "./sql-datasets.js";
import type { IdentityConnections } from "./sql-identities.js";
import { type SqlSubStores, sqlSubStores } from "./sql-sub-stores.js";
import { SqlDatasetTx } from "./sql-dataset-tx.js";
import { type SqlConnections, type SqlSession, sql } from "./sql.js";
import { SqliteGroupCommit } from "./sqlite-group-commit.js";
import { migrateSqlite } from "./sqlite-migrations.js";
import { type Db, sqliteSession } from "./sqlite-rows.js";
import type { Storage } from "./storage.js";

/** How to open the embedded database; only `file` is required. */
export interface SqliteStorageOptions {
  /** Path of the database file; its directory is created if missing. */
  file: string;
  /**
   * FULL (default) fsyncs the WAL on every commit, so an acknowledged push survives power loss.
   * NORMAL may lose the last commits on power loss (never on a process crash); for tests and
   * throwaway data only.
   */
  synchronous?: "FULL" | "NORMAL";
  /** How long a connection waits for another process's lock before failing. Default 5000. */
  busyTimeoutMs?: number;
  /** See `OpenStorageOptions.detectNestedWrites`. Default true. */
  detectNestedWrites?: boolean;
}

/** One connection's settings as SQLite reports them. */
export interface SqliteConnectionSettings {
  journalMode: string;
  synchronous: "OFF" | "NORMAL" | "FULL" | "EXTRA";
  foreignKeys: boolean;
  busyTimeoutMs: number;
  /** Where temporary files (a savepoint's sub-journal among them) live: MEMORY, FILE or DEFAULT. */
  tempStore: "DEFAULT" | "FILE" | "MEMORY";
}

/** `Storage` plus what only SQLite has: for startup logs and the adapter's own tests. */
export interface SqliteStorage extends Storage {
  readonly file: string;
  /** Reads the settings back from both connections, so durability is checked, not assumed. */
  connectionSettings(): { writer: SqliteConnectionSettings; reader: SqliteConnectionSettings };
}

/**
 * Opens (creating if needed) the SQLite database at `options.file`. Does not migrate: call
 * `migrate()` before anything else (`openStorage` does).
 */
export async function openSqliteStorage(options: SqliteStorageOptions): Promise<SqliteStorage> {
  await mkdir(dirname(options.file), { recursive: true });
  // The writer first: it switches the file to WAL, which the reader then relies on.
  const writer = openConnection(options);
  try {
    const mode = writer.pragma("journal_mode = WAL", { simple: true });
    if (mode !== "wal") throw new Error(`SQLite refused WAL mode for ${options.file} (got "${String(mode)}")`);
    const reader = openConnection(options);
    reader.pragma("query_only = ON");
    return new SqliteAdapter(options.file, writer, reader, new Mutex({ tracksHolders: options.detectNestedWrites ?? true }));
  } catch (error) {
    writer.close();
    throw error;
  }
}

const SYNCHRONOUS_NAMES = ["OFF", "NORMAL", "FULL", "EXTRA"] as const;
const TEMP_STORE_NAMES = ["DEFAULT", "FILE", "MEMORY"] as const;

function readSettings(db: Db): SqliteConnectionSettings {
  return {
    journalMode: String(db.pragma("journal_mode", { simple: true })),
    synchronous: SYNCHRONOUS_NAMES[Number(db.pragma("synchronous", { simple: true }))] ?? "OFF",
    foreignKeys: db.pragma("foreign_keys", { simple: true }) === 1,
    busyTimeoutMs: Number(db.pragma("busy_timeout", { simple: true })),
    tempStore: TEMP_STORE_NAMES[Number(db.pragma("temp_store", { simple: true }))] ?? "DEFAULT",
  };
}

function openConnection(options: SqliteStorageOptions): Db {
  const db = new BetterSqlite3(options.file);
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  db.pragma(`synchronous = ${options.synchronous ?? "FULL"}`);
  db.pragma("foreign_keys = ON");
  // Every member of a group commit runs in a savepoint, and a page the group already changed is
  // copied to the savepoint's sub-journal before a member changes it again: in a temporary file
  // by default, a write system call per page. In memory it costs a copy; it never needs to
  // survive a crash (the WAL holds nothing of an uncommitted transaction).
  db.pragma("temp_store = MEMORY");
  return db;
}

/** The sub-stores (`sql-sub-stores.ts`) are own properties of the adapter, assigned as it is built. */
interface SqliteAdapter extends SqlSubStores {}

class SqliteAdapter implements SqliteStorage {
  readonly kind = "sqlite";
  readonly file: string;
  readonly #writer: Db;
  readonly #reader: Db;
  readonly #writerSession: SqlSession;
  readonly #readerSession: SqlSession;
  readonly #writeLock: Mutex;
  readonly #groupCommit: SqliteGroupCommit;
  #closing: Promise<void> | null = null;

  constructor(file: string, writer: Db, reader: Db, writeLock: Mutex) {
    this.file = file;
    this.#writeLock = writeLock;
    this.#writer = writer;
    this.#reader = reader;
    this.#writerSession = sqliteSession(writer);
    this.#readerSession = sqliteSession(reader);
    this.#groupCommit = new SqliteGroupCommit(writer, this.#writerSession, (fn) => this.#write(fn), this.#writeLock);
    // After the field initializers, so the connections below exist.
    Object.assign(this, sqlSubStores({ sql: this.#sql, datasets: this.#datasetConnections, identities: this.#identityConnections }));
  }

  connectionSettings(): { writer: SqliteConnectionSettings; reader: SqliteConnectionSettings } {
    this.#assertOpen();
    return { writer: readSettings(this.#writer), reader: readSettings(this.#reader) };
  }

  async migrate(): Promise<void> {
    await this.#write(() => migrateSqlite(this.#writer));
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    this.#readerSession.now!.get(sql`SELECT 1`);
  }

  close(): Promise<void> {
    // Queued behind every write already waiting, so those finish; new calls are refused meanwhile.
    this.#closing ??= this.#writeLock.runExclusive(() => {
      this.#reader.close();
      this.#writer.close();
    });
    return this.#closing;
  }

  /**
   * Sub-stores written once in SQL (`sql.ts`) run on these: reads on the reader; every write a
   * member of a group commit (`sqlite-group-commit.ts`), all or nothing in its savepoint and answered
   * after its group's fsync, so concurrent sign-ins, refreshes and audit appends share fsyncs as
   * pushes do. The group's write lock makes each the only writer in the process, IMMEDIATE the only
   * one on the file.
   */
  readonly #sql: SqlConnections = {
    read: async (fn) => (this.#assertOpen(), fn(this.#readerSession)),
    write: (fn) => this.#grouped(fn),
    transaction: (fn) => this.#grouped(fn),
  };
  /**
   * One writer at a time holds every dataset at once: the write transaction is the dataset's lock.
   * Dataset writes commit in groups with every other write, each in its own savepoint (`sqlite-group-commit.ts`).
   */
  readonly #datasetConnections: DatasetConnections = {
    ...this.#sql,
    datasetTransaction: (_identityId, _dataset, fn) => this.#groupCommit.run(fn),
    snapshot: async (fn) => {
      this.#assertOpen();
      // The reads run at once (`SqlSession.now`), so the snapshot can end as `fn` returns.
      this.#reader.exec("BEGIN");
      try {
        return fn(this.#readerSession);
      } finally {
        this.#reader.exec("COMMIT");
      }
    },
    datasetTx: {},
  };
  readonly #identityConnections: IdentityConnections = {
    ...this.#sql,
    // A merge needs no lock beyond the write transaction: SQLite's one writer holds every dataset at once.
    mergeTransaction: (locks, fn) =>
      this.#sql.transaction(async (session) => {
        const handles: SqlDatasetTx[] = [];
        for (const ref of locks.datasets) handles.push(await SqlDatasetTx.open(session, {}, ref.identityId, ref.name));
        return fn(session, handles);
      }),
  };

  #grouped<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    this.#assertOpen();
    return this.#groupCommit.run(fn);
  }

  #write<T>(fn: () => T | Promise<T>): Promise<T> {
    this.#assertOpen();
    return this.#writeLock.runExclusive(fn);
  }

  #assertOpen(): void {
    if (this.#closing) throw new Error("SQLite storage is closed");
  }
}
