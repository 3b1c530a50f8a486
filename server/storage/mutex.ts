/**
 * A tiny FIFO async mutex. The SQLite adapter has one writer connection and better-sqlite3 runs
 * statements synchronously, so a `BEGIN … COMMIT` spanning an async callback must own the
 * connection until it ends: two such transactions interleaving on one connection would be one
 * transaction. Waiters run in call order, so no writer starves.
 */
import { WriteContext } from "./write-context.js";

/** Serializes async critical sections, in call order. Not reentrant: see `runExclusive`. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();
  readonly #holders: WriteContext;

  /**
   * `tracksHolders` (default true): mark each critical section's async context (`WriteContext`), so
   * that `isHeldHere` answers and a call from inside throws instead of deadlocking. Marking turns on
   * AsyncLocalStorage, which then costs something on every promise of the process (13 to 20% of a
   * push's server CPU in the write benchmark); without it a call from inside waits for itself forever.
   */
  constructor(options: { tracksHolders?: boolean } = {}) {
    this.#holders = new WriteContext(this, options.tracksHolders ?? true);
  }

  /** Whether the current async context is inside this mutex's critical section (false when holders are not tracked). */
  isHeldHere(): boolean {
    return this.#holders.isInside();
  }

  /**
   * Runs `fn` once every earlier caller has finished, and releases when it settles (either way).
   * Calling it again from inside `fn` would wait for itself forever, so with holders tracked that
   * throws at once instead: the deadlock becomes an error with a stack pointing at the culprit.
   */
  async runExclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.isHeldHere()) {
      throw new Error("Mutex is not reentrant: called again from inside its own critical section");
    }
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await this.#holders.run(fn);
    } finally {
      release();
    }
  }
}
