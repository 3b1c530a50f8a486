/**
 * Feeds one consumer the events of one shard, in sequence order, at least once. Progress is the
 * checkpoint: every event up to it is done. It is saved behind the deliveries (one write at a time,
 * always the newest checkpoint) while the next batch is read and delivered, so a storm's events are
 * never held up by a checkpoint write waiting its turn at the database; a batch is read only as
 * large as keeps the delivered-but-unsaved events within one batch, and the checkpoint is saved
 * before each backoff wait, so a crash re-offers at most one batch. A failing event is retried with capped
 * exponential backoff; after the consumer's `maxAttempts` it is parked in the dead letters (the
 * checkpoint moves past it in the same transaction) and the shard moves on.
 *
 * Events this process commits are offered to the worker as stored (`offer`); while the next one it
 * needs is among them, it delivers them without reading the shard. A few only are kept (a batch):
 * any other event, or one offered to a worker that is behind, is read from storage as before.
 *
 * Before each batch the worker asks `claim`: only the instance holding the shard's lease may feed
 * it (`consumer-leases.ts`). A worker that (re)gains a claim reloads the checkpoint, since another
 * instance may have moved it meanwhile.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "../logger.js";
import type { StreamEventRow, StreamStore } from "../storage/stream-store.js";
import { toStreamRecord, type Consumer } from "./consumer.js";
import { MAX_PAGE_BYTES } from "./read-stream.js";

/**
 * The answer of `ClaimShard`: `"held"` (this instance kept the shard since it last asked),
 * `"acquired"` (it just took the shard: another instance may have fed it meanwhile, so the
 * checkpoint is reloaded) or `false` (another instance holds it: do not feed it now).
 */
export type ShardClaim = "held" | "acquired" | false;

/** May this instance feed `consumer` the shard now? The seam for leases; throwing counts as a storage error. */
export type ClaimShard = (consumer: string, poolId: string, shard: number) => Promise<ShardClaim>;

/** Retry timing. */
export interface RetryPolicy {
  /** Wait after the first failure; doubles after each further one. */
  baseMs: number;
  /** Longest wait. */
  maxMs: number;
}

/** What every worker of a runner shares. */
export interface ShardWorkerDeps {
  storage: StreamStore;
  claim: ClaimShard;
  retry: RetryPolicy;
  batchSize: number;
  now: () => number;
  logger: Logger;
  /** Aborted when the runner stops; waits end early on it. */
  signal: AbortSignal;
}

/** Progress of one (consumer, pool, shard), for the admin API. */
export interface ShardProgress {
  poolId: string;
  shard: number;
  /** Last sequence done (delivered or dead-lettered); 0 before the first. */
  checkpoint: number;
  /** Newest sequence seen in the shard. */
  lastSequence: number;
  /** Failures of the event being retried now (0 when none). */
  attempts: number;
  lastError: string | null;
}

/** One consumer on one shard. */
export class ShardWorker {
  #checkpoint: number;
  #saved: number;
  #head = 0;
  #running: Promise<void> | null = null;
  /** The checkpoint writes behind the deliveries (`#saveBehind`); null when none is under way. */
  #saving: Promise<void> | null = null;
  #claimed = true;
  /** Events committed in this process, by sequence, not yet delivered (at most a batch). */
  readonly #offered = new Map<number, StreamEventRow>();
  #attempts = 0;
  #lastError: string | null = null;

  constructor(
    private readonly consumer: Consumer,
    private readonly poolId: string,
    private readonly shard: number,
    checkpoint: number,
    private readonly deps: ShardWorkerDeps,
  ) {
    this.#checkpoint = this.#saved = checkpoint;
  }

  /** The shard's newest sequence is `lastSequence`: start feeding if behind and idle. */
  notify(lastSequence: number): void {
    this.#head = Math.max(this.#head, lastSequence);
    if (this.#running === null && this.#checkpoint < this.#head && !this.deps.signal.aborted) {
      this.#running = this.#run().then((caughtUp) => {
        this.#running = null;
        // A notice that came between the run's last look at the head and now found it running.
        if (caughtUp) this.notify(this.#head);
      });
    }
  }

  /** An event committed in this process, as stored: kept (room permitting) to be delivered without a read. */
  offer(event: StreamEventRow): void {
    if (event.sequence > this.#checkpoint && this.#offered.size < this.deps.batchSize) this.#offered.set(event.sequence, event);
    this.notify(event.sequence);
  }

  /** Resolves when the current run (if any) has ended and the checkpoint it reached is saved (or failed to be). */
  async idle(): Promise<void> {
    await this.#running;
    await this.#flush().catch((error: unknown) => this.#saveFailed(error));
  }

  progress(): ShardProgress {
    return {
      poolId: this.poolId,
      shard: this.shard,
      checkpoint: this.#checkpoint,
      lastSequence: this.#head,
      attempts: this.#attempts,
      lastError: this.#lastError,
    };
  }

  /** Feeds the shard up to its head; true when it got there (not stopped, refused or failed). */
  async #run(): Promise<boolean> {
    const { storage, batchSize, logger } = this.deps;
    try {
      while (!this.deps.signal.aborted && this.#checkpoint < this.#head) {
        if (!(await this.#claim())) {
          this.#offered.clear(); // another instance feeds the shard; it reads what it needs
          return false;
        }
        // Delivered and not yet saved stays within one batch: that is all a crash can re-offer.
        const room = batchSize - (this.#checkpoint - this.#saved);
        if (room <= 0) {
          await this.#flush();
          continue;
        }
        const events = this.#takeOffered(room) ?? (await storage.readStreamEvents(this.poolId, this.shard, this.#checkpoint + 1, room, MAX_PAGE_BYTES));
        const first = events[0]?.sequence ?? this.#head + 1;
        if (first > this.#checkpoint + 1) {
          // Retention trimmed events this consumer never saw: they are gone for every reader.
          logger.warn({ consumer: this.consumer.name, pool: this.poolId, shard: this.shard, from: this.#checkpoint + 1, to: first - 1 }, "events expired before this consumer read them");
          this.#checkpoint = Math.min(first - 1, this.#head);
        }
        for (const event of events) {
          if (!(await this.#deliver(event))) return false;
        }
        this.#saveBehind();
      }
      return !this.deps.signal.aborted;
    } catch (error) {
      // Storage trouble (or a lost claim): report, and let the next tick start the shard again.
      logger.error({ err: error, consumer: this.consumer.name, pool: this.poolId, shard: this.shard }, "stream consumer stopped on an error");
      await this.#sleep(this.deps.retry.baseMs);
      return false;
    } finally {
      this.#saveBehind();
    }
  }

  /** The offered events that follow the checkpoint without a gap, at most `room`; null when the next is not among them. */
  #takeOffered(room: number): StreamEventRow[] | null {
    for (const sequence of this.#offered.keys()) if (sequence <= this.#checkpoint) this.#offered.delete(sequence);
    const events: StreamEventRow[] = [];
    for (let sequence = this.#checkpoint + 1; events.length < room; sequence++) {
      const event = this.#offered.get(sequence);
      if (!event) break;
      this.#offered.delete(sequence);
      events.push(event);
    }
    return events.length > 0 ? events : null;
  }

  /** Delivers one event until it succeeds or goes to the dead letters; false when stopped. */
  async #deliver(event: StreamEventRow): Promise<boolean> {
    const { consumer } = this;
    for (;;) {
      try {
        await consumer.deliver(toStreamRecord(event));
        this.#checkpoint = event.sequence;
        this.#attempts = 0;
        this.#lastError = null;
        return true;
      } catch (error) {
        this.#attempts += 1;
        this.#lastError = error instanceof Error ? error.message : String(error);
        const context = { consumer: consumer.name, pool: this.poolId, shard: this.shard, sequence: event.sequence, attempts: this.#attempts };
        if (this.#attempts >= consumer.maxAttempts) {
          await this.deps.storage.addDeadLetter({ ...event, consumer: consumer.name, attempts: this.#attempts, lastError: this.#lastError, failedAt: this.deps.now() });
          this.deps.logger.error({ ...context, error: this.#lastError }, "event moved to the dead letters");
          this.#checkpoint = this.#saved = event.sequence;
          this.#attempts = 0;
          return true;
        }
        this.deps.logger.warn({ ...context, error: this.#lastError }, "stream consumer failed; retrying");
        await this.#flush(); // the events before this one are done: do not offer them again after a crash
        await this.#sleep(backoffMs(this.#attempts, this.deps.retry));
        if (this.deps.signal.aborted) return false;
      }
    }
  }

  async #claim(): Promise<boolean> {
    const claim = await this.deps.claim(this.consumer.name, this.poolId, this.shard);
    const claimed = claim !== false;
    if (claim === "acquired" || (claimed && !this.#claimed)) {
      while (this.#saving) await this.#saving; // this instance's own write must not be taken for another's progress
      const stored = (await this.deps.storage.getCheckpoints(this.consumer.name)).find((c) => c.poolId === this.poolId && c.shard === this.shard);
      this.#saved = stored?.sequence ?? 0;
      this.#checkpoint = Math.max(this.#checkpoint, this.#saved);
    }
    this.#claimed = claimed;
    return claimed;
  }

  /**
   * Starts writing the checkpoint unless a write is under way (which starts the next one when it
   * ends, if the checkpoint moved on meanwhile). Deliveries go on without waiting. A failed write
   * is logged and tried again after the next batch, or by `#flush` when the unsaved bound is hit.
   */
  #saveBehind(): void {
    if (this.#saving !== null || this.#checkpoint <= this.#saved) return;
    this.#saving = this.#save().then(
      () => {
        this.#saving = null;
        this.#saveBehind();
      },
      (error: unknown) => {
        this.#saving = null;
        this.#saveFailed(error);
      },
    );
  }

  /** Waits for the write behind, then saves what it left; throws when the write fails. */
  async #flush(): Promise<void> {
    while (this.#saving) await this.#saving;
    await this.#save();
  }

  #saveFailed(error: unknown): void {
    this.deps.logger.warn({ err: error, consumer: this.consumer.name, pool: this.poolId, shard: this.shard }, "saving a stream checkpoint failed; retrying");
  }

  async #save(): Promise<void> {
    if (this.#checkpoint <= this.#saved) return;
    const sequence = this.#checkpoint;
    await this.deps.storage.saveCheckpoint({ consumer: this.consumer.name, poolId: this.poolId, shard: this.shard, sequence, updatedAt: this.deps.now() });
    this.#saved = Math.max(this.#saved, sequence);
  }

  #sleep(ms: number): Promise<void> {
    return delay(ms, undefined, { signal: this.deps.signal }).catch(() => undefined); // aborted: the runner stops
  }
}

/** `baseMs · 2^(attempts-1)`, at most `maxMs`, less up to a fifth at random so retries spread out. */
export function backoffMs(attempts: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempts - 1, 30));
  return Math.round(ceiling * (1 - Math.random() * 0.2));
}
