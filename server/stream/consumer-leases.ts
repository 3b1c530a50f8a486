/**
 * Consumer leases, the `claim` of every `ShardWorker`: with several instances on one database
 * each one runs every consumer, and only the instance holding the lease of a (consumer, pool,
 * shard) feeds it. Delivery stays at least once, and is exactly once while no instance dies:
 * a shard changes hands only when its holder releases it (after its workers stopped and saved
 * their checkpoints) or stops renewing it (it died), and the new holder starts from the stored
 * checkpoint.
 *
 * How: a claim takes the lease in the database (`LeaseStore.acquireLease`) and remembers it; one
 * timer renews every held lease each third of `ttlMs`, so while the process lives its leases never
 * expire. A claim answered from memory is trusted only until a third of the lease's length before
 * it would expire. A failed claim is not retried for a third of `ttlMs`, so instances that do not
 * hold a shard do not query for it on every tick. A lease whose epoch changed since this instance
 * last held it is reported as `"acquired"`, and the worker reloads its checkpoint.
 */
import type { Logger } from "../logger.js";
import type { LeaseKey, LeaseStore } from "../storage/lease-store.js";
import type { ShardClaim } from "./shard-worker.js";

/** What the leases need; `holder` must be unique per process (the server's instance id). */
export interface ConsumerLeasesDeps {
  storage: LeaseStore;
  holder: string;
  /** Lease length in ms; renewed every third of it. */
  ttlMs: number;
  now: () => number;
  logger: Logger;
}

interface Held {
  key: LeaseKey;
  epoch: number;
  /** Until when the claim is answered from memory (a third of the lease before its expiry). */
  trustedUntil: number;
}

/** See the module comment. */
export class ConsumerLeases {
  readonly #deps: ConsumerLeasesDeps;
  readonly #held = new Map<string, Held>();
  /** The epoch of each lease when this instance last held it. */
  readonly #epochs = new Map<string, number>();
  /** Leases another instance held when last asked: not asked again before this time. */
  readonly #retryAt = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  #closed = false;

  constructor(deps: ConsumerLeasesDeps) {
    this.#deps = deps;
  }

  /** The `ClaimShard` of the consumer runner. Throws when the database cannot be reached. */
  readonly claim = async (consumer: string, poolId: string, shard: number): Promise<ShardClaim> => {
    if (this.#closed) return false;
    const id = leaseId({ consumer, poolId, shard });
    const now = this.#deps.now();
    const held = this.#held.get(id);
    if (held && now < held.trustedUntil) return "held";
    if (!held && now < (this.#retryAt.get(id) ?? 0)) return false;
    const { holder, ttlMs } = this.#deps;
    const epoch = await this.#deps.storage.acquireLease({ consumer, poolId, shard, holder, now, expiresAt: now + ttlMs });
    if (epoch === null) {
      if (held) this.#deps.logger.info({ consumer, pool: poolId, shard }, "consumer lease lost to another instance");
      this.#held.delete(id);
      this.#retryAt.set(id, now + ttlMs / 3);
      return false;
    }
    this.#held.set(id, { key: { consumer, poolId, shard }, epoch, trustedUntil: now + (ttlMs * 2) / 3 });
    this.#retryAt.delete(id);
    const continuous = this.#epochs.get(id) === epoch;
    this.#epochs.set(id, epoch);
    if (continuous) return "held";
    this.#deps.logger.debug({ consumer, pool: poolId, shard, epoch }, "consumer lease acquired");
    return "acquired";
  };

  /** Starts renewing held leases every third of `ttlMs`. */
  start(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => void (this.#renewing ??= this.#renew().finally(() => (this.#renewing = undefined))), this.#deps.ttlMs / 3);
    this.#timer.unref();
  }

  /** The leases this instance holds now (for status and tests). */
  held(): LeaseKey[] {
    return [...this.#held.values()].map((held) => held.key);
  }

  /**
   * Stops renewing and releases every held lease so another instance takes the shards at once.
   * Call after the consumers stopped and saved their checkpoints. Idempotent; never throws.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#renewing;
    if (this.#held.size === 0) return;
    this.#held.clear();
    await this.#deps.storage
      .releaseLeases(this.#deps.holder)
      .catch((error: unknown) => this.#deps.logger.warn({ err: error }, "releasing consumer leases failed; they expire on their own"));
  }

  async #renew(): Promise<void> {
    if (this.#held.size === 0 || this.#closed) return;
    const now = this.#deps.now();
    try {
      const renewed = new Set((await this.#deps.storage.renewLeases(this.#deps.holder, now + this.#deps.ttlMs)).map(leaseId));
      for (const [id, held] of this.#held) {
        if (renewed.has(id)) {
          held.trustedUntil = now + (this.#deps.ttlMs * 2) / 3;
        } else {
          this.#held.delete(id);
          this.#deps.logger.warn({ ...held.key }, "consumer lease was taken over by another instance");
        }
      }
    } catch (error) {
      // Claims fall back to the database once their trust runs out; nothing else to do here.
      this.#deps.logger.warn({ err: error }, "renewing consumer leases failed; retrying");
    }
  }
}

function leaseId(key: LeaseKey): string {
  return JSON.stringify([key.consumer, key.poolId, key.shard]);
}
