/**
 * A tiny FIFO async mutex. The SQLite adapter has one writer connection and better-sqlite3 runs
 * statements synchronously, so a `BEGIN … COMMIT` spanning an async callback must own the
 * connection until it ends: two such transactions interleaving on one connection would be one
 * transaction. Waiters run in call order, so no writer starves.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** Marks the async context of one holder; `held` turns false on release. */
interface Hold {
  held: boolean;
}

/**
 * Which mutexes the current async context holds. One instance for the whole process: every
 * AsyncLocalStorage adds a cost to every promise in the process until it is disabled, so one per
 * storage (opened again on each server restart) would slow everything down over time.
 */
const heldHere = new AsyncLocalStorage<ReadonlyMap<Mutex, Hold>>();

/** Serializes async critical sections, in call order. Not reentrant: see `runExclusive`. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();
  readonly #tracksHolders: boolean;

  /**
   * `tracksHolders` (default true): mark each critical section's async context, so that
   * `isHeldHere` answers and a call from inside throws instead of deadlocking. Marking turns on
   * AsyncLocalStorage, which then costs something on every promise of the process (13 to 20% of a
   * push's server CPU in the write benchmark); without it a call from inside waits for itself forever.
   */
  constructor(options: { tracksHolders?: boolean } = {}) {
    this.#tracksHolders = options.tracksHolders ?? true;
  }

  /** Whether the current async context is inside this mutex's critical section (false when holders are not tracked). */
  isHeldHere(): boolean {
    return this.#tracksHolders && heldHere.getStore()?.get(this)?.held === true;
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
    const hold: Hold | null = this.#tracksHolders ? { held: true } : null;
    try {
      return await (hold ? heldHere.run(new Map(heldHere.getStore()).set(this, hold), fn) : fn());
    } finally {
      // Work scheduled by `fn` that outlives it (timers, fire-and-forget) is no longer "inside".
      if (hold) hold.held = false;
      release();
    }
  }
}
