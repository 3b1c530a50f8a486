/**
 * Group commit for SQLite's dataset writes. better-sqlite3 is synchronous and, with
 * `synchronous = FULL`, every COMMIT is an fsync that stalls the event loop; one COMMIT per push
 * caps pushes per second at the disk's fsyncs per second. So the dataset transactions that are
 * waiting when the writer is free (or that arrive while a group is still running) share one
 * `BEGIN IMMEDIATE … COMMIT`, and so one fsync.
 *
 * Each push stays all or nothing: it runs inside its own SAVEPOINT, and a push that throws rolls
 * back to it, is refused at once, and leaves the others of its group untouched. No push is
 * answered before the group's COMMIT returns: a push that was acknowledged is durable, and a
 * notice after commit (`announceCommitted`) never announces what a crash could still undo. If the
 * COMMIT itself fails, every push of the group fails with it (none of them was acknowledged).
 *
 * Members run one after another on the one writer connection, in arrival order, so two pushes to
 * one dataset in one group apply in order, each seeing the one before, and the stream's sequence
 * numbers are taken in commit order as before.
 */
import type { Mutex } from "./mutex.js";
import type { Db } from "./sqlite-rows.js";
import type { SqlSession } from "./sql.js";

/** Dataset transactions committed together at most; bounds how long the first waits for its answer. */
export const MAX_GROUP_SIZE = 256;

interface Member {
  fn: (session: SqlSession) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Runs dataset transactions on the writer `db`, committed in groups, under the adapter's write lock. */
export class SqliteGroupCommit {
  readonly #waiting: Member[] = [];
  #draining = false;

  constructor(
    private readonly db: Db,
    private readonly session: SqlSession,
    /** The adapter's write lock (`#write`): one group per hold, so other writes take their turn between groups. */
    private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
    private readonly writeLock: Mutex,
    private readonly maxGroupSize = MAX_GROUP_SIZE,
  ) {}

  /**
   * Runs `fn` as one member of the next group: its writes commit with the group's, or roll back
   * alone when it throws. Resolves after the group's COMMIT. Called from inside a write it would
   * wait for its own group forever, so that throws at once.
   */
  run<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    if (this.writeLock.isHeldHere()) {
      return Promise.reject(new Error("SQLite storage writes are not reentrant: a dataset write was called from inside a write"));
    }
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  /** One group per hold of the write lock, until nobody waits. */
  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#waiting.length > 0) {
        try {
          await this.exclusive(() => this.#commitGroup());
        } catch (error) {
          // The lock refused (storage closed): nobody waiting can be served.
          for (const member of this.#waiting.splice(0)) member.reject(error);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /**
   * Runs the waiting members, and those that arrive meanwhile, in one transaction, then commits.
   * Before committing it yields once to the event loop, so requests read in the same turn join.
   */
  async #commitGroup(): Promise<void> {
    const { db } = this;
    const applied: Array<{ member: Member; result: unknown }> = [];
    db.exec("BEGIN IMMEDIATE"); // throws to `#drain` with nothing taken from the queue
    try {
      while (applied.length < this.maxGroupSize) {
        let member = this.#waiting.shift();
        if (!member) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          member = this.#waiting.shift();
          if (!member) break;
        }
        const result = await this.#runMember(member);
        if (result !== REFUSED) applied.push({ member, result: result.value });
      }
      if (!db.inTransaction) throw new Error("SQLite rolled the write transaction back on its own (I/O error or disk full)");
      db.exec("COMMIT"); // may throw (deferred foreign key); the catch below rolls back
    } catch (error) {
      if (db.inTransaction) rollbackKeepingError(db);
      for (const { member } of applied) member.reject(error);
      return;
    }
    for (const { member, result } of applied) member.resolve(result);
  }

  /**
   * One member inside its savepoint. A member that throws is refused at once and its writes undone;
   * if SQLite itself ended the transaction, the whole group is lost and this rethrows.
   */
  async #runMember(member: Member): Promise<{ value: unknown } | typeof REFUSED> {
    const { db } = this;
    db.exec("SAVEPOINT push");
    try {
      const value = await member.fn(this.session);
      if (!db.inTransaction) throw new Error("SQLite rolled the write transaction back on its own (I/O error or disk full)");
      db.exec("RELEASE push");
      return { value };
    } catch (error) {
      member.reject(error);
      if (!db.inTransaction) throw error;
      db.exec("ROLLBACK TO push");
      db.exec("RELEASE push");
      return REFUSED;
    }
  }
}

/** A member that threw: already answered, its writes rolled back. */
const REFUSED = Symbol("refused");

/** The caller's error says what went wrong; a failing ROLLBACK after it would only hide it. */
export function rollbackKeepingError(db: Db): void {
  try {
    db.exec("ROLLBACK");
  } catch {
    // The connection is unusable; the next BEGIN will fail loudly.
  }
}
