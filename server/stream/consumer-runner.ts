/**
 * Runs every consumer of this server over every shard of the pools it reads. A tick reads the
 * head of every shard (one small query) and wakes the `ShardWorker` of each (consumer, shard)
 * that is behind; ticks run on an interval (for events other processes append: another server,
 * the CLI's bulk publish) and right after this process commits an event (`wake`: in a microtask,
 * no timer or event-loop turn between the commit and the read). An event committed here comes
 * with the wake-up, as stored: it is handed to the workers of its shard, which deliver it without
 * reading it back (nor the heads) when it is the next one they need. Workers of different shards
 * run concurrently; one shard's events are fed strictly one after another.
 */
import type { Logger } from "../logger.js";
import type { StreamEventRow, StreamStore } from "../storage/stream-store.js";
import type { Consumer } from "./consumer.js";
import { ShardWorker, type ClaimShard, type ShardProgress, type ShardWorkerDeps } from "./shard-worker.js";

/** Timing and the lease seam; every field has a default. */
export interface ConsumerRunnerOptions {
  /** How often shards are checked for events appended elsewhere. Default 1000. */
  pollIntervalMs?: number;
  /** First retry wait after a failed delivery; doubles per failure. Default 500. */
  retryBaseMs?: number;
  /** Longest retry wait. Default 60000. */
  retryMaxMs?: number;
  /** Events read per batch (and at most re-offered after a crash). Default 100. */
  batchSize?: number;
  /** Whether this instance may feed a (consumer, shard) now (consumer leases); default always. */
  claim?: ClaimShard;
}

/** A consumer and its progress per shard, for the admin API. */
export interface ConsumerStatus {
  name: string;
  kind: string;
  shards: ShardProgress[];
}

/** How long `close()` waits for deliveries in flight before leaving them to the next start. */
const CLOSE_GRACE_MS = 5000;

/** See the module comment. */
export class ConsumerRunner {
  readonly #storage: StreamStore;
  readonly #consumers: readonly Consumer[];
  readonly #logger: Logger;
  readonly #workerDeps: ShardWorkerDeps;
  readonly #pollIntervalMs: number;
  readonly #abort = new AbortController();
  /** Per consumer name, its workers by `<pool>/<shard>`. */
  readonly #workers = new Map<string, Map<string, ShardWorker>>();
  /** Per consumer name, checkpoints read at the first tick. */
  readonly #checkpoints = new Map<string, Map<string, number>>();
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;
  #again = false;
  #wakeScheduled = false;

  constructor(deps: { storage: StreamStore; consumers: readonly Consumer[]; now: () => number; logger: Logger; options?: ConsumerRunnerOptions }) {
    const options = deps.options ?? {};
    const names = new Set<string>();
    for (const consumer of deps.consumers) {
      if (names.has(consumer.name)) throw new Error(`two stream consumers are named "${consumer.name}"`);
      names.add(consumer.name);
    }
    this.#storage = deps.storage;
    this.#consumers = deps.consumers;
    this.#logger = deps.logger.child({ component: "stream-consumers" });
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#workerDeps = {
      storage: deps.storage,
      claim: options.claim ?? (async () => "held" as const),
      retry: { baseMs: options.retryBaseMs ?? 500, maxMs: options.retryMaxMs ?? 60_000 },
      batchSize: options.batchSize ?? 100,
      now: deps.now,
      logger: this.#logger,
      signal: this.#abort.signal,
    };
  }

  /** Starts ticking. Does nothing without consumers. */
  start(): void {
    if (this.#consumers.length === 0 || this.#timer) return;
    this.#timer = setInterval(() => void this.#tick(), this.#pollIntervalMs);
    this.#timer.unref();
    this.wake();
  }

  /**
   * Events were committed here: `events` (as stored) go straight to the workers of their shards;
   * without them, or for a shard with no worker yet, look at the shards once the committing code
   * has returned (calls in one turn coalesce; a commit during a tick makes it read the heads once
   * more). Never throws.
   */
  wake(events: readonly StreamEventRow[] = []): void {
    if (!this.#timer) return;
    if (events.length > 0 && this.#handOver(events)) return;
    if (this.#wakeScheduled) return;
    this.#wakeScheduled = true;
    queueMicrotask(() => {
      this.#wakeScheduled = false;
      void this.#tick();
    });
  }

  /** Offers each event to the worker of every consumer reading its pool; false when a worker is missing. */
  #handOver(events: readonly StreamEventRow[]): boolean {
    let everyWorker = true;
    for (const event of events) {
      for (const consumer of this.#consumers) {
        if (!consumer.accepts(event.poolId)) continue;
        const worker = this.#workers.get(consumer.name)?.get(`${event.poolId}/${event.shard}`);
        if (worker) worker.offer(event);
        else everyWorker = false;
      }
    }
    return everyWorker;
  }

  /** The consumer named `name`, or undefined. */
  find(name: string): Consumer | undefined {
    return this.#consumers.find((consumer) => consumer.name === name);
  }

  /** Every consumer with the progress of each shard it has seen. */
  status(): ConsumerStatus[] {
    return this.#consumers.map((consumer) => ({
      name: consumer.name,
      kind: consumer.kind,
      shards: [...(this.#workers.get(consumer.name)?.values() ?? [])].map((worker) => worker.progress()),
    }));
  }

  /** Stops feeding, waits (a little) for deliveries in flight, closes consumers. Idempotent. */
  async close(): Promise<void> {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    clearInterval(this.#timer);
    const workers = [...this.#workers.values()].flatMap((byShard) => [...byShard.values()]);
    const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
    await Promise.race([Promise.all(workers.map((worker) => worker.idle())), grace]);
    await Promise.all(this.#consumers.map((consumer) => consumer.close?.().catch(() => undefined)));
  }

  async #tick(): Promise<void> {
    if (this.#abort.signal.aborted) return;
    if (this.#ticking) {
      this.#again = true; // a commit landed while reading heads: read them once more afterwards
      return;
    }
    this.#ticking = true;
    try {
      do {
        this.#again = false;
        const heads = await this.#storage.streamHeads();
        for (const consumer of this.#consumers) {
          for (const head of heads) {
            if (!consumer.accepts(head.poolId)) continue;
            // Known workers are looked up without an await, so every shard's worker starts in this same microtask.
            const worker = this.#workers.get(consumer.name)?.get(`${head.poolId}/${head.shard}`) ?? (await this.#newWorker(consumer, head.poolId, head.shard));
            worker.notify(head.lastSequence);
          }
        }
      } while (this.#again && !this.#abort.signal.aborted);
    } catch (error) {
      this.#logger.error({ err: error }, "reading the stream's shard heads failed; retrying at the next tick");
    } finally {
      this.#ticking = false;
    }
  }

  /** The worker of a (consumer, shard) seen for the first time, starting at its stored checkpoint. */
  async #newWorker(consumer: Consumer, poolId: string, shard: number): Promise<ShardWorker> {
    const key = `${poolId}/${shard}`;
    const checkpoints = await this.#loadCheckpoints(consumer.name);
    let byShard = this.#workers.get(consumer.name);
    if (!byShard) this.#workers.set(consumer.name, (byShard = new Map()));
    const worker = new ShardWorker(consumer, poolId, shard, checkpoints.get(key) ?? 0, this.#workerDeps);
    byShard.set(key, worker);
    return worker;
  }

  async #loadCheckpoints(consumer: string): Promise<Map<string, number>> {
    let checkpoints = this.#checkpoints.get(consumer);
    if (!checkpoints) {
      const rows = await this.#storage.getCheckpoints(consumer);
      checkpoints = new Map(rows.map((row) => [`${row.poolId}/${row.shard}`, row.sequence]));
      this.#checkpoints.set(consumer, checkpoints);
    }
    return checkpoints;
  }
}
