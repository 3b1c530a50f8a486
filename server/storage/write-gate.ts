/**
 * Admits write transactions before they take a pooled connection: one at a time per key (one
 * dataset), and at most `maxConcurrent` overall. The database lock alone would be correct, but
 * 50 pushes to one dataset would then hold 50 connections while 49 of them wait on that lock, and
 * a pool full of writers leaves no connection for the reads a callback may make (a deadlock).
 * Queuing here keeps waiting writers off the pool; the cap keeps a connection free for reads.
 */

/** FIFO admission: one holder per key, at most `maxConcurrent` holders in all. */
export class WriteGate {
  readonly #maxConcurrent: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  /** Per key, the promise the next writer of that key waits for. */
  readonly #tails = new Map<string, Promise<void>>();

  constructor(maxConcurrent: number) {
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new Error("WriteGate needs maxConcurrent >= 1");
    this.#maxConcurrent = maxConcurrent;
  }

  /**
   * Runs `fn` once every earlier caller with the same key has finished and a slot is free; frees
   * both when it settles, either way. Not reentrant for the same key (that would wait forever):
   * callers detect nesting themselves.
   */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let releaseKey!: () => void;
    const tail = new Promise<void>((resolve) => (releaseKey = resolve));
    this.#tails.set(key, tail);
    try {
      await previous;
      // The key is taken before a slot, so writers queued behind one busy dataset hold no slot.
      await this.#acquireSlot();
      try {
        return await fn();
      } finally {
        this.#releaseSlot();
      }
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
      releaseKey();
    }
  }

  #acquireSlot(): Promise<void> {
    if (this.#running < this.#maxConcurrent) {
      this.#running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #releaseSlot(): void {
    const next = this.#waiting.shift();
    if (next) next(); // the slot passes straight to the next waiter; `#running` stays the same
    else this.#running--;
  }
}
