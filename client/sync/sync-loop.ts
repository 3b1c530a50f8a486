/**
 * The sync loop: WHEN to sync. What one pass does (push the outbox, pull, apply) is `runPass`,
 * passed in (see `sync-dataset.ts`); this module only decides timing, one pass at a time.
 *
 *          write (debounced) · remote change · interval · online · sync()
 *   ┌──────┐ ───────────────────────────────────► ┌─────────┐    ┌─────────┐    ┌──────────┐
 *   │ idle │                                      │ pushing │ ─► │ pulling │ ─► │ applying │ ─┐
 *   └──────┘ ◄──────────────────────── success ── └─────────┘    └─────────┘    └──────────┘  │
 *      ▲  ▲   (requests that came in during the pass start the next one at once)   │ (next   │
 *      │  │                                                                        │ dataset)│
 *      │  └─────────────── timer fires / online / sync() ─── ┌─────────┐ ◄─ retryable error ─┘
 *      │                                                     │ backoff │   (capped exponential,
 *      └── non-retryable error (reported; next trigger) ──── └─────────┘    with jitter)
 *
 * Rules:
 * - a write schedules a pass after `debounceMs` of quiet, but never later than `debounceMaxWaitMs`
 *   after the first write, so a steady stream of edits still syncs;
 * - a remote change, `online` and `sync()` start a pass at once; the interval starts one for all
 *   datasets every `intervalMs`;
 * - while offline, timers do not start passes (an explicit `sync()` still tries);
 * - a pass that fails with a retryable error is retried after `backoffDelayMs(attempt)`; a
 *   success resets the attempt count. Errors go to `onError`, never thrown into the void.
 */
import { backoffDelayMs, type BackoffOptions } from "./backoff.js";

/** Where the loop is; pushing/pulling/applying are reported by the pass itself. */
export type SyncState = "idle" | "pushing" | "pulling" | "applying" | "backoff" | "stopped";

/** What a pass covers: every dataset, or the named ones. */
export type SyncTarget = "all" | ReadonlySet<string>;

export interface SyncLoopOptions {
  /** Runs one pass over `target`; reports its phases through `setState`. */
  runPass(target: SyncTarget, setState: (state: SyncState) => void): Promise<void>;
  /** True when a failed pass should be retried with backoff. */
  isRetryable(error: unknown): boolean;
  /** Called with every failed pass's error (the client emits `syncError`). */
  onError?(error: unknown): void;
  onState?(state: SyncState): void;
  /** Quiet time after a write before syncing. Default 300 ms. */
  debounceMs?: number;
  /** Longest a write waits while writes keep coming. Default 3 s. */
  debounceMaxWaitMs?: number;
  /** A full sync this often; 0 turns it off. Default 60 s. */
  intervalMs?: number;
  /** Retry delays. Defaults: base 1 s, max 60 s. */
  backoff?: Partial<BackoffOptions>;
  /** Delay to use for an error instead of the computed backoff (a server's retryAfterMs). */
  retryAfterMs?(error: unknown): number | undefined;
}

interface Waiter {
  target: SyncTarget;
  resolve(): void;
  reject(error: unknown): void;
}

/** The loop; see the module comment. */
export class SyncLoop {
  #state: SyncState = "stopped";
  #pending: SyncTarget | null = null;
  #waiting: Waiter[] = [];
  #running: Promise<void> | null = null;
  #online = true;
  #attempt = 0;
  #debounceTimer: ReturnType<typeof setTimeout> | null = null;
  #debounceStartedAt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #intervalTimer: ReturnType<typeof setInterval> | null = null;
  readonly #options: SyncLoopOptions;
  readonly #debounceMs: number;
  readonly #debounceMaxWaitMs: number;
  readonly #backoff: BackoffOptions;

  constructor(options: SyncLoopOptions) {
    this.#options = options;
    this.#debounceMs = options.debounceMs ?? 300;
    this.#debounceMaxWaitMs = options.debounceMaxWaitMs ?? 3_000;
    this.#backoff = { baseMs: 1_000, maxMs: 60_000, ...options.backoff };
  }

  get state(): SyncState {
    return this.#state;
  }

  get online(): boolean {
    return this.#online;
  }

  /**
   * Starts the loop: the interval (unless `interval: false`) and one sync of everything (unless
   * `syncNow: false`). A browser tab that does not lead sync starts with neither.
   */
  start(options: { syncNow?: boolean; interval?: boolean } = {}): void {
    if (this.#state !== "stopped") return;
    this.#setState("idle");
    if (options.interval ?? true) this.startInterval();
    if (options.syncNow ?? true) this.request("all");
  }

  /** Starts the periodic full sync (a tab that became the sync leader); a no-op when it runs or is off. */
  startInterval(): void {
    const intervalMs = this.#options.intervalMs ?? 60_000;
    if (this.#state === "stopped" || this.#intervalTimer || intervalMs <= 0) return;
    this.#intervalTimer = setInterval(() => this.#timerFired("all"), intervalMs);
  }

  /** Stops the periodic full sync (a tab that stopped leading); requests still run. */
  stopInterval(): void {
    if (this.#intervalTimer) clearInterval(this.#intervalTimer);
    this.#intervalTimer = null;
  }

  /** Stops timers; a running pass finishes; waiting `sync()` calls reject. */
  stop(): void {
    this.#clearTimers();
    if (this.#intervalTimer) clearInterval(this.#intervalTimer);
    this.#intervalTimer = null;
    this.#pending = null;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const waiter of waiting) waiter.reject(new Error("sync stopped"));
    this.#setState("stopped");
  }

  /** Syncs `dataset` (or all) soon: after the debounce for writes, at once otherwise. */
  request(dataset: string | "all", options: { debounce?: boolean } = {}): void {
    if (this.#state === "stopped") return;
    this.#pending = union(this.#pending, dataset === "all" ? "all" : new Set([dataset]));
    if (options.debounce) this.#debounce();
    else if (this.#online && this.#state !== "backoff") this.#kick();
  }

  /** Runs a pass covering `dataset` (or all) now; resolves when one succeeds, rejects with its error. */
  sync(dataset: string | "all" = "all"): Promise<void> {
    if (this.#state === "stopped") return Promise.reject(new Error("sync stopped"));
    const target: SyncTarget = dataset === "all" ? "all" : new Set([dataset]);
    const done = new Promise<void>((resolve, reject) => this.#waiting.push({ target, resolve, reject }));
    this.#pending = union(this.#pending, target);
    this.#clearTimers();
    if (this.#state === "backoff") this.#setState("idle");
    this.#kick();
    return done;
  }

  /** Network state from the platform or the transport. Coming online syncs everything at once. */
  setOnline(online: boolean): void {
    if (online === this.#online) return;
    this.#online = online;
    if (!online || this.#state === "stopped") return;
    this.#clearTimers();
    this.#attempt = 0;
    if (this.#state === "backoff") this.#setState("idle");
    this.request("all");
  }

  #debounce(): void {
    const now = Date.now();
    if (this.#debounceTimer) clearTimeout(this.#debounceTimer);
    else this.#debounceStartedAt = now;
    const waitedMs = now - this.#debounceStartedAt;
    const delayMs = Math.max(0, Math.min(this.#debounceMs, this.#debounceMaxWaitMs - waitedMs));
    this.#debounceTimer = setTimeout(() => {
      this.#debounceTimer = null;
      if (this.#state !== "backoff") this.#timerFired(null);
    }, delayMs);
  }

  #timerFired(target: SyncTarget | null): void {
    if (this.#state === "stopped") return;
    if (target) this.#pending = union(this.#pending, target);
    if (this.#online) this.#kick();
  }

  /** Starts a pass unless one is running (which will chain the next when it ends). */
  #kick(): void {
    if (this.#running || this.#pending === null || this.#state === "stopped") return;
    const target = this.#pending;
    this.#pending = null;
    if (this.#debounceTimer) clearTimeout(this.#debounceTimer);
    this.#debounceTimer = null;
    // Callers waiting on datasets this pass covers settle with it.
    const covered = this.#waiting.filter((waiter) => covers(target, waiter.target));
    this.#waiting = this.#waiting.filter((waiter) => !covers(target, waiter.target));
    this.#running = this.#run(target, covered);
  }

  async #run(target: SyncTarget, waiters: Waiter[]): Promise<void> {
    try {
      await this.#options.runPass(target, (state) => this.#state !== "stopped" && this.#setState(state));
      this.#attempt = 0;
      if (this.#state !== "stopped") this.#setState("idle");
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      // Callers who asked during the failed pass learn of the failure now rather than after
      // the backoff: their pass would meet the same fault.
      const failed = [...waiters, ...this.#waiting];
      this.#waiting = [];
      for (const waiter of failed) waiter.reject(error);
      this.#options.onError?.(error);
      if (this.#state !== "stopped") this.#scheduleRetry(target, error);
    } finally {
      this.#running = null;
    }
    if (this.#state === "idle" && this.#pending !== null && (this.#online || this.#waiting.length > 0)) this.#kick();
  }

  #scheduleRetry(target: SyncTarget, error: unknown): void {
    if (!this.#options.isRetryable(error)) {
      this.#setState("idle");
      return;
    }
    this.#attempt += 1;
    const delayMs = this.#options.retryAfterMs?.(error) ?? backoffDelayMs(this.#attempt, this.#backoff);
    this.#pending = union(this.#pending, target);
    this.#setState("backoff");
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#state !== "backoff") return;
      this.#setState("idle");
      if (this.#online) this.#kick();
    }, delayMs);
  }

  #clearTimers(): void {
    if (this.#debounceTimer) clearTimeout(this.#debounceTimer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#debounceTimer = null;
    this.#retryTimer = null;
  }

  #setState(state: SyncState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#options.onState?.(state);
  }
}

function union(a: SyncTarget | null, b: SyncTarget): SyncTarget {
  if (a === null) return b;
  if (a === "all" || b === "all") return "all";
  return new Set([...a, ...b]);
}

/** True when a pass over `pass` also satisfies a request for `wanted`. */
function covers(pass: SyncTarget, wanted: SyncTarget): boolean {
  if (pass === "all") return true;
  if (wanted === "all") return false;
  return [...wanted].every((name) => pass.has(name));
}
