/**
 * The in-process queue that runs push deliveries in the background: bounded (jobs waiting, and
 * retries waiting for their delay, together), with a fixed number running at once. Notifications
 * are hints, so when the bound is reached a new job is dropped (and counted) rather than letting
 * memory grow; nothing here survives a restart. The durable path is the event stream (issue 5).
 */

/** One unit of background work. It must not throw; a rejection is reported to `onError`. */
export type Job = () => Promise<void>;

/** The queue's bounds, and where it reports what it could not do. */
export interface DeliveryQueueOptions {
  /** Jobs waiting or scheduled for a retry, at most. */
  maxQueued: number;
  /** Jobs running at once. */
  concurrency: number;
  /** Told about each job dropped because the queue was full. */
  onDropped: () => void;
  /** Told about a job that threw (a bug: jobs handle their own failures). */
  onError: (error: unknown) => void;
}

/** A bounded FIFO of background jobs with delayed re-runs. */
export class DeliveryQueue {
  readonly #options: DeliveryQueueOptions;
  readonly #waiting: Job[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #running = 0;
  #closed = false;
  #pumpScheduled = false;
  #idleWaiters: Array<() => void> = [];

  constructor(options: DeliveryQueueOptions) {
    this.#options = options;
  }

  /**
   * Runs `job` as soon as a slot is free, and never in the caller's turn; false when it was
   * dropped (full or closed). Jobs are added right after a commit, in the turn whose microtasks
   * hand the change to its live subscribers: a job's first steps (a storage read) would run
   * before those sends if it started at once.
   */
  add(job: Job): boolean {
    if (this.#closed) return false;
    if (this.#queued() >= this.#options.maxQueued) {
      this.#options.onDropped();
      return false;
    }
    this.#waiting.push(job);
    if (!this.#pumpScheduled) {
      this.#pumpScheduled = true;
      setImmediate(() => {
        this.#pumpScheduled = false;
        this.#pump();
      });
    }
    return true;
  }

  /** Runs `job` after `delayMs` (a retry); counts toward the bound meanwhile. False when dropped. */
  addLater(delayMs: number, job: Job): boolean {
    if (this.#closed) return false;
    if (this.#queued() >= this.#options.maxQueued) {
      this.#options.onDropped();
      return false;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#waiting.push(job);
      this.#pump();
    }, delayMs);
    timer.unref(); // a pending retry must not keep the process alive
    this.#timers.add(timer);
    return true;
  }

  /** Resolves when nothing is waiting, scheduled or running (tests, benchmarks, shutdown). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Drops waiting and scheduled jobs, refuses new ones, and waits for the running ones. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#waiting.length = 0;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.idle();
  }

  #queued(): number {
    return this.#waiting.length + this.#timers.size;
  }

  #isIdle(): boolean {
    return this.#running === 0 && this.#queued() === 0;
  }

  #pump(): void {
    while (this.#running < this.#options.concurrency && this.#waiting.length > 0) {
      const job = this.#waiting.shift()!;
      this.#running++;
      job()
        .catch(this.#options.onError)
        .finally(() => {
          this.#running--;
          this.#pump();
          if (this.#isIdle()) for (const resolve of this.#idleWaiters.splice(0)) resolve();
        });
    }
  }
}
