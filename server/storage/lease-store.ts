/**
 * Consumer leases: which server instance may feed a stream consumer one shard of one pool. With
 * several instances on one database every instance runs every consumer, and a lease per
 * (consumer, pool, shard) makes sure only one of them delivers a shard's events at a time. A
 * lease lasts until `expiresAt` unless renewed; once expired, any instance may take it over (the
 * holder died). Every backend reaches it as `storage.leases` and passes
 * `test/conformance/storage-suite-leases.ts`.
 *
 * Times are the callers' clocks (epoch ms): instances must keep their clocks in step (NTP) to well
 * within a lease's length. Storage keeps rows only; when to renew and what a lost lease means
 * lives in `server/stream/consumer-leases.ts`.
 */

/** What a lease is on. */
export interface LeaseKey {
  consumer: string;
  poolId: string;
  shard: number;
}

/** A lease as stored. */
export interface LeaseRow extends LeaseKey {
  /** The instance holding it (an opaque id, unique per process); "" once released. */
  holder: string;
  /**
   * Counts hand-overs: it grows by one each time the lease passes to a different holder and stays
   * the same while one holder renews it. A holder that sees a new epoch knows another instance
   * may have fed the shard meanwhile.
   */
  epoch: number;
  /** Until when (epoch ms) nobody else may take it. */
  expiresAt: number;
  /** When the current holder took it. */
  acquiredAt: number;
}

/** A request to take or renew one lease. */
export interface LeaseRequest extends LeaseKey {
  holder: string;
  /** The caller's time, epoch ms: a lease with `expiresAt <= now` is free. */
  now: number;
  /** The new expiry, epoch ms. */
  expiresAt: number;
}

/** The lease storage; see the module comment. */
export interface LeaseStore {
  /**
   * Takes the lease for `holder` when nobody holds it, its holder's lease expired (at or before
   * `now`), or `holder` already holds it (then it is renewed, even if it had expired, as nobody
   * else took it meanwhile). Atomic across instances: of concurrent callers at most one gets a
   * lease another does not hold. Returns the lease's epoch when `holder` holds it afterwards,
   * null when another holder's unexpired lease stands.
   */
  acquireLease(request: LeaseRequest): Promise<number | null>;
  /**
   * Extends every lease `holder` still holds (expired ones too, when nobody took them) to
   * `expiresAt`. Returns the keys renewed: a lease missing from the answer was taken over.
   */
  renewLeases(holder: string, expiresAt: number): Promise<LeaseKey[]>;
  /** Gives up `holder`'s leases among `keys` (all of its leases when omitted), so others may take them at once. */
  releaseLeases(holder: string, keys?: readonly LeaseKey[]): Promise<void>;
  /** Every lease (released ones too), ordered by consumer, pool and shard; of one consumer when given. */
  listLeases(consumer?: string): Promise<LeaseRow[]>;
}
