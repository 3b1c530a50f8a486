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
 *
 * A group is bounded in time as well as in size. Its first member waits for every later one and
 * for the COMMIT before it is answered, and before a stream consumer sees its event; under a storm
 * a group would otherwise take members until the clients ran out of pushes to send, each adding
 * its request's time to the first one's wait. So a group takes every write waiting when it
 * begins, and later ones only until it has been open `MAX_GROUP_OPEN_MS`, or four times as long as
 * its recent COMMITs took when that is longer (a slow disk: the fsync then still takes at most
 * about a fifth of the writer's time); those that arrive after form the next group.
 */
import { type GroupMember, type GroupTransaction, commitGroup } from "./group-commit.js";
import type { Mutex } from "./mutex.js";
import type { Db } from "./sqlite-rows.js";
import type { SqlSession } from "./sql.js";

/** Write transactions committed together at most. */
export const MAX_GROUP_SIZE = 256;

/**
 * How long a group takes new members at least, from its BEGIN (ms): bounds how long its first
 * member waits for later ones. A COMMIT with its fsync took about 0.16 ms on this machine's idle
 * disk (better-sqlite3, FULL), so groups this long still share one among many writes.
 */
export const MAX_GROUP_OPEN_MS = 5;

/** A group stays open up to this many times its recent COMMITs' duration, when that is longer than `MAX_GROUP_OPEN_MS`. */
const OPEN_PER_COMMIT = 4;

/** How groups are bounded; the clock (ms) is injectable for tests. */
export interface GroupLimits {
  maxSize?: number;
  maxOpenMs?: number;
  now?: () => number;
}

/** Runs write transactions on the writer `db`, committed in groups, under the adapter's write lock. */
export class SqliteGroupCommit {
  readonly #waiting: GroupMember[] = [];
  readonly #transaction: GroupTransaction;
  readonly #maxSize: number;
  readonly #maxOpenMs: number;
  readonly #now: () => number;
  /** Recent COMMITs' duration (ms), a moving average. */
  #commitMs = 0;
  #draining = false;

  constructor(
    private readonly db: Db,
    session: SqlSession,
    /** The adapter's write lock (`#write`): one group per hold, so other writes take their turn between groups. */
    private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
    private readonly writeLock: Mutex,
    limits: GroupLimits = {},
  ) {
    this.#transaction = sqliteGroupTransaction(db, session);
    this.#maxSize = limits.maxSize ?? MAX_GROUP_SIZE;
    this.#maxOpenMs = limits.maxOpenMs ?? MAX_GROUP_OPEN_MS;
    this.#now = limits.now ?? (() => performance.now());
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
   * It stops taking members when full or open long enough (the module comment).
   */
  async #commitGroup(): Promise<void> {
    this.db.exec("BEGIN IMMEDIATE"); // throws to `#drain` with nothing taken from the queue
    const openedAt = this.#now();
    const openMs = Math.max(this.#maxOpenMs, OPEN_PER_COMMIT * this.#commitMs);
    const waitingAtBegin = this.#waiting.length;
    let handedOut = 0;
    let closedAt = openedAt;
    const closed = () => {
      closedAt = this.#now();
      return handedOut >= this.#maxSize || (handedOut >= Math.max(1, waitingAtBegin) && closedAt - openedAt >= openMs);
    };
    await commitGroup(this.#transaction, async () => {
      if (closed()) return undefined;
      let member = this.#waiting.shift();
      if (!member) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (closed()) return undefined; // the turn itself may have taken the group past its time
        member = this.#waiting.shift();
      }
      if (member) handedOut++;
      return member;
    });
    // From the last look at the clock to here: the COMMIT, mostly (members are answered without waiting).
    this.#commitMs += (this.#now() - closedAt - this.#commitMs) / 4;
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
