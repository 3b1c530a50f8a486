/**
 * Group commit for SQLite's writes: pushes, and every other write of the SQL sub-stores (sign-ins,
 * refreshes, audit events, merges, leases). better-sqlite3 is synchronous and, with
 * `synchronous = FULL`, every COMMIT is an fsync that stalls the event loop; one COMMIT per write
 * caps writes per second at the disk's fsyncs per second. So the write transactions that are
 * waiting when the writer is free (or that arrive while a group is still running) share one
 * `BEGIN IMMEDIATE … COMMIT`, and so one fsync. How members run and are answered (a savepoint
 * each, answered after COMMIT) is shared with PostgreSQL: `group-commit.ts`.
 *
 * Members run one after another on the one writer connection, in arrival order, so two pushes to
 * one dataset in one group apply in order, each seeing the one before, and the stream's sequence
 * numbers are taken in commit order as before.
 */
import { type GroupMember, type GroupTransaction, commitGroup } from "./group-commit.js";
import type { Mutex } from "./mutex.js";
import type { Db } from "./sqlite-rows.js";
import type { SqlSession } from "./sql.js";

/** Write transactions committed together at most; bounds how long the first waits for its answer. */
export const MAX_GROUP_SIZE = 256;

/** Runs write transactions on the writer `db`, committed in groups, under the adapter's write lock. */
export class SqliteGroupCommit {
  readonly #waiting: GroupMember[] = [];
  readonly #transaction: GroupTransaction;
  #draining = false;

  constructor(
    private readonly db: Db,
    session: SqlSession,
    /** The adapter's write lock (`#write`): one group per hold, so other writes take their turn between groups. */
    private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
    private readonly writeLock: Mutex,
    private readonly maxGroupSize = MAX_GROUP_SIZE,
  ) {
    this.#transaction = sqliteGroupTransaction(db, session);
  }

  /**
   * Runs `fn` as one member of the next group: its writes commit with the group's, or roll back
   * alone when it throws. Resolves after the group's COMMIT. Called from inside a write it would
   * wait for its own group forever, so that throws at once.
   */
  run<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    if (this.writeLock.isHeldHere()) {
      return Promise.reject(new Error("SQLite storage writes are not reentrant: a write was called from inside a write"));
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
          // The lock refused (storage closed), or BEGIN failed: nobody waiting can be served.
          for (const member of this.#waiting.splice(0)) member.reject(error);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /**
   * Runs the waiting members, and those that arrive meanwhile, in one transaction, then commits.
   * When the queue runs dry it yields once to the event loop, so requests read in the same turn join.
   */
  async #commitGroup(): Promise<void> {
    this.db.exec("BEGIN IMMEDIATE"); // throws to `#drain` with nothing taken from the queue
    let handedOut = 0;
    await commitGroup(this.#transaction, async () => {
      if (handedOut >= this.maxGroupSize) return undefined;
      let member = this.#waiting.shift();
      if (!member) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        member = this.#waiting.shift();
      }
      if (member) handedOut++;
      return member;
    });
  }
}

/** The writer's transaction as a group sees it: every statement runs at once (better-sqlite3). */
function sqliteGroupTransaction(db: Db, session: SqlSession): GroupTransaction {
  return {
    session,
    savepoint: () => void db.exec("SAVEPOINT member"),
    release: () => void db.exec("RELEASE member"),
    rollbackToSavepoint: () => void db.exec("ROLLBACK TO member; RELEASE member"),
    assertOpen: () => {
      if (!db.inTransaction) throw new Error("SQLite rolled the write transaction back on its own (I/O error or disk full)");
    },
    commit: () => void db.exec("COMMIT"), // may throw (deferred foreign key); the group then rolls back
    rollback: () => {
      if (db.inTransaction) rollbackKeepingError(db);
    },
  };
}

/** The caller's error says what went wrong; a failing ROLLBACK after it would only hide it. */
export function rollbackKeepingError(db: Db): void {
  try {
    db.exec("ROLLBACK");
  } catch {
    // The connection is unusable; the next BEGIN will fail loudly.
  }
}
