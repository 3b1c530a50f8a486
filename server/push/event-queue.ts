/**
 * The queue between the change bus and one live subscription. The bus pushes without waiting;
 * the transport pulls as fast as its socket takes data (graphql-ws awaits each send, yoga's SSE
 * stream pulls on demand). So a slow consumer shows up here first, as bytes piling up, and the
 * queue is bounded: past `maxPendingBytes` it stops accepting and reports the overflow once,
 * and the owner drops the subscriber (it resumes later from its last sync count and pulls).
 */

/** What the queue holds: anything that knows its size. */
export interface Sized {
  sizeBytes: number;
}

/** A consumer told when a step is ready, instead of holding a pending `next()` (`Pollable`). */
export interface Waker {
  wake(): void;
}

/**
 * Results that can be read without a promise per step: `poll` answers the next step when one is
 * ready (and throws a failure), or undefined, and then calls `waker.wake()` once when one is. An
 * idle subscription polled this way holds no promise, reaction or suspended frame while it waits.
 */
export interface Pollable<T> {
  poll(waker: Waker): IteratorResult<T> | undefined;
}

/** The queue's bound and the hooks its owner reacts with. */
export interface EventQueueOptions {
  /** Bytes that may wait; an event that would pass it is refused and `onOverflow` runs (once). */
  maxPendingBytes: number;
  /** Called once, synchronously, on the first refused event. */
  onOverflow: () => void;
  /** Called once when the consumer stops (`return()`, or after the end or a failure was read). */
  onClose: () => void;
}

/** A bounded, single-consumer async queue that is itself the consumer's async iterator. */
export class EventQueue<T extends Sized> implements AsyncIterableIterator<T>, Pollable<T> {
  readonly #options: EventQueueOptions;
  readonly #items: T[] = [];
  #pendingBytes = 0;
  /** The consumer's `next()` waiting for an item, if any. */
  #waiting: ((result: IteratorResult<T>) => void) | null = null;
  #failWaiting: ((error: unknown) => void) | null = null;
  /** The consumer that polled an empty queue, if any. */
  #waker: Waker | null = null;
  #state: "open" | "overflowed" | "ended" | "closed" = "open";
  #failure: { error: unknown } | null = null;

  constructor(options: EventQueueOptions) {
    this.#options = options;
  }

  /** Bytes waiting for the consumer. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Adds an event at the back; false when refused (overflow, ended or closed). */
  push(item: T): boolean {
    return this.#accept(item, "back");
  }

  /** Adds an event at the front (the "behind" event goes before anything already queued). */
  pushFront(item: T): boolean {
    return this.#accept(item, "front");
  }

  /** Ends the stream after the queued events; the consumer then sees `done`. */
  end(): void {
    if (this.#state !== "open" && this.#state !== "overflowed") return;
    this.#state = "ended";
    this.#settleWaiting();
  }

  /** Fails the stream now: queued events are dropped, the consumer's next `next()` rejects with `error`. */
  fail(error: unknown): void {
    if (this.#state === "closed" || this.#state === "ended") return;
    this.#failure = { error };
    this.#items.length = 0;
    this.#pendingBytes = 0;
    this.#state = "ended";
    this.#settleWaiting();
  }

  /** `Pollable.poll`: the next step now (a failure is thrown), or undefined and `waker` woken once one is ready. */
  poll(waker: Waker): IteratorResult<T> | undefined {
    if (this.#waiting) throw new Error("EventQueue has a single consumer: poll() called while next() waits");
    const item = this.#items.shift();
    if (item) {
      this.#pendingBytes -= item.sizeBytes;
      return { value: item, done: false };
    }
    if (this.#failure) {
      const { error } = this.#failure;
      this.#failure = null;
      this.#close();
      throw error;
    }
    if (this.#state === "ended" || this.#state === "closed") {
      this.#close();
      return { value: undefined, done: true };
    }
    this.#waker = waker;
    return undefined;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#waiting || this.#waker) return Promise.reject(new Error("EventQueue has a single consumer: next() called while waiting"));
    const item = this.#items.shift();
    if (item) {
      this.#pendingBytes -= item.sizeBytes;
      return Promise.resolve({ value: item, done: false });
    }
    if (this.#failure) {
      const { error } = this.#failure;
      this.#failure = null; // reported once; then the stream is simply done
      this.#close();
      return Promise.reject(error);
    }
    if (this.#state === "ended" || this.#state === "closed") {
      this.#close();
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      this.#failWaiting = reject;
    });
  }

  /** The consumer stops: drops what is queued and releases the producer side. */
  return(): Promise<IteratorResult<T>> {
    this.#items.length = 0;
    this.#pendingBytes = 0;
    this.#close();
    this.#waker = null;
    const waiting = this.#waiting;
    this.#waiting = this.#failWaiting = null;
    waiting?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #accept(item: T, where: "front" | "back"): boolean {
    if (this.#state !== "open") return false;
    if (this.#waker) {
      // The consumer polled an empty queue: the item waits for its next poll, which it is woken for.
      const waker = this.#waker;
      this.#waker = null;
      this.#items.push(item);
      this.#pendingBytes += item.sizeBytes;
      waker.wake();
      return true;
    }
    if (this.#waiting) {
      // The consumer is already waiting: hand the item over, nothing piles up.
      const waiting = this.#waiting;
      this.#waiting = this.#failWaiting = null;
      waiting({ value: item, done: false });
      return true;
    }
    if (this.#pendingBytes + item.sizeBytes > this.#options.maxPendingBytes) {
      this.#state = "overflowed";
      this.#options.onOverflow();
      return false;
    }
    if (where === "front") this.#items.unshift(item);
    else this.#items.push(item);
    this.#pendingBytes += item.sizeBytes;
    return true;
  }

  /** Wakes a waiting consumer after `end()` or `fail()`. */
  #settleWaiting(): void {
    if (this.#waker) {
      // The polling consumer reads the end or the failure on its next poll.
      const waker = this.#waker;
      this.#waker = null;
      return waker.wake();
    }
    if (!this.#waiting) return;
    const waiting = this.#waiting;
    const failWaiting = this.#failWaiting!;
    this.#waiting = this.#failWaiting = null;
    if (this.#failure) {
      const { error } = this.#failure;
      this.#failure = null;
      this.#close();
      failWaiting(error);
    } else {
      this.#close();
      waiting({ value: undefined, done: true });
    }
  }

  #close(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#options.onClose();
  }
}
