/**
 * `datasetChanged`: the event stream of one live subscription, independent of the transport.
 *
 * Order of work, and why:
 * 1. listen on the change bus first, so no change committed while we look at the dataset is lost;
 * 2. when the device resumes (`sinceSyncCount` for one dataset), read the dataset's count and,
 *    when the server is ahead, put a `behind` event before anything already queued: the device
 *    learns at once that it must pull;
 * 3. then forward each change of the caller's identity (of the one dataset, when given) newer than
 *    `sinceSyncCount`, until the consumer stops, the token expires or the consumer falls behind.
 *
 * A subscription to shared datasets listens to their owner ids instead of an identity, and asks
 * `mayRead` about each change before forwarding it (group membership can change while it
 * listens). Those checks are asynchronous, so they are chained: events keep the bus's order.
 */
import { SyncpoolError } from "../../core/errors.js";
import { assertDatasetName } from "../../core/limits.js";
import type { DatasetStore } from "../storage/dataset-store.js";
import type { Caller, CommittedChange } from "../sync/types.js";
import type { ChangeBus, ChangeHearer } from "./change-bus.js";
import { behindEvent, toDatasetEvent, type DatasetChangeEvent } from "./dataset-event.js";
import { EventQueue } from "./event-queue.js";

/** Why a subscription is being cut short. */
export type DropReason = "slow-consumer" | "token-expired";

/** What a live subscription listens to and reads: the bus, the dataset rows, the clock. */
export interface DatasetChangesDeps {
  bus: ChangeBus;
  storage: Pick<DatasetStore, "getDataset">;
  /** Server time, epoch ms. */
  now: () => number;
  /** Open subscriptions, so a stopping server can end them (`end()` finishes the stream). */
  live?: Set<{ end(): void }>;
}

/** One subscription as asked for, after the caller was verified (and authorized for `dataset`). */
export interface DatasetChangesRequest {
  caller: Caller;
  /** One dataset, or null for all of the caller's datasets. */
  dataset: string | null;
  /** With no `dataset`: which datasets the caller may read (the pool's policies); others are not told. */
  canRead?: ((dataset: string) => boolean) | undefined;
  /** The count the device already has (one dataset only), or null. */
  sinceSyncCount: number | null;
  /** When the caller's token expires, epoch ms; the subscription ends then. */
  expiresAtMs: number;
  /** Bytes that may wait for this subscriber before it is dropped. */
  maxPendingBytes: number;
  /**
   * The connection the subscription runs on (graphql-ws), dropped whole: its socket closes with the
   * reason's code. Without it (SSE, one stream per subscription) the stream ends with an error
   * carrying the reason's code instead.
   */
  connection?: { drop(reason: DropReason): void } | undefined;
  /** Called once when the subscription ends, however it ends. */
  onEnd?: (() => void) | undefined;
  /** Shared datasets: listen to these owner ids instead of `caller.identityId`, and check each change. */
  shared?: SharedListening | undefined;
}

/** What a subscription to shared datasets listens to, and the check every change passes. */
export interface SharedListening {
  /** The owner ids (`_shared:<pool>`, `_group:<pool>:<group>`) whose changes may concern the subscriber. */
  ownerIds: readonly string[];
  /** True when the subscriber may read this change's dataset now; a rejection counts as false. */
  mayRead(change: CommittedChange): Promise<boolean>;
}

/**
 * Opens the subscription; resolves once it is listening (and the `behind` check is done).
 * @throws SyncpoolError BAD_USER_INPUT for a bad dataset name, or `sinceSyncCount` without a
 *   dataset or below 0.
 */
export async function openDatasetChanges(deps: DatasetChangesDeps, request: DatasetChangesRequest): Promise<AsyncIterableIterator<DatasetChangeEvent>> {
  const { caller, dataset, sinceSyncCount } = request;
  if (dataset !== null) assertDatasetName(dataset, "dataset");
  if (sinceSyncCount !== null) {
    if (dataset === null) throw badInput("sinceSyncCount", "sinceSyncCount needs a dataset: a count belongs to one dataset");
    if (sinceSyncCount < 0) throw badInput("sinceSyncCount", "sinceSyncCount must be 0 or more");
  }
  const subscription = new DatasetSubscription(deps, request);
  const { queue } = subscription;
  try {
    if (dataset !== null && sinceSyncCount !== null) {
      const row = await deps.storage.getDataset(caller.identityId, dataset);
      if (row && row.syncCount > sinceSyncCount) queue.pushFront(behindEvent(row));
    }
  } catch (error) {
    await queue.return();
    throw error;
  }
  return queue;
}

/** Calls `fn` with each of `ownerIds`: one id (kept without an array, as most subscriptions have one) or several. */
function forEachOwner(ownerIds: string | readonly string[], fn: (ownerId: string) => void): void {
  if (typeof ownerIds === "string") fn(ownerIds);
  else for (const ownerId of ownerIds) fn(ownerId);
}

/**
 * One live subscription: the filter between the bus and its queue, and the queue's owner. A class
 * rather than a set of closures because thousands of them sit idle at once: its methods are shared,
 * and it keeps only the fields of the request that filtering and dropping read (not the caller).
 */
class DatasetSubscription implements ChangeHearer {
  readonly queue: EventQueue<DatasetChangeEvent>;
  readonly maxPendingBytes: number;
  readonly #deps: DatasetChangesDeps;
  readonly #dataset: string | null;
  readonly #canRead: ((dataset: string) => boolean) | undefined;
  readonly #sinceSyncCount: number | null;
  readonly #expiresAtMs: number;
  readonly #connection: { drop(reason: DropReason): void } | undefined;
  readonly #onEnd: (() => void) | undefined;
  readonly #mayRead: SharedListening["mayRead"] | undefined;
  /** The owner ids it listens to on the bus (one, its caller's identity, unless shared). */
  readonly #ownerIds: string | readonly string[];
  #expiryTimer: NodeJS.Timeout | undefined;
  /** The chain of shared-dataset checks, so events keep the bus's order; unused otherwise. */
  #checks: Promise<void> | undefined;

  constructor(deps: DatasetChangesDeps, request: DatasetChangesRequest) {
    this.#deps = deps;
    this.#dataset = request.dataset;
    this.#canRead = request.canRead;
    this.#sinceSyncCount = request.sinceSyncCount;
    this.#expiresAtMs = request.expiresAtMs;
    this.#connection = request.connection;
    this.#onEnd = request.onEnd;
    this.#mayRead = request.shared?.mayRead;
    this.maxPendingBytes = request.maxPendingBytes;
    // Listen first: no change committed while the caller looks at the dataset is lost.
    this.queue = new EventQueue<DatasetChangeEvent>(this);
    const ownerIds = request.shared?.ownerIds ?? request.caller.identityId;
    this.#ownerIds = ownerIds;
    forEachOwner(ownerIds, (ownerId) => deps.bus.listen(ownerId, this));
    // Wall-clock expiry for an idle subscription (setTimeout caps at 2^31-1 ms, about 24 days). A
    // subscription that can drop its connection needs none: the connection's own timer drops it then.
    if (!request.connection) {
      this.#expiryTimer = setTimeout(DatasetSubscription.#expire, Math.min(Math.max(request.expiresAtMs - deps.now(), 0), 2 ** 31 - 1), this);
      this.#expiryTimer.unref();
    }
    deps.live?.add(this.queue);
  }

  /** `EventQueueOptions.onOverflow`: the consumer fell behind. */
  onOverflow(): void {
    this.#dropOrFail("slow-consumer");
  }

  /** `EventQueueOptions.onClose`: the consumer stopped, however it stopped. */
  onClose(): void {
    this.#deps.live?.delete(this.queue);
    forEachOwner(this.#ownerIds, (ownerId) => this.#deps.bus.unlisten(ownerId, this));
    clearTimeout(this.#expiryTimer);
    this.#onEnd?.();
  }

  static #expire(this: void, subscription: DatasetSubscription): void {
    subscription.#dropOrFail("token-expired");
  }

  /** `ChangeHearer.hear`: a change of one of the owner ids listened to. */
  hear(change: CommittedChange): void {
    // The bus only hands us the changes of the ids we listen to; checked again, as this is the one rule that must never break.
    const ownerIds = this.#ownerIds;
    if (typeof ownerIds === "string" ? change.identityId !== ownerIds : !ownerIds.includes(change.identityId)) return;
    if (this.#dataset !== null && change.dataset !== this.#dataset) return;
    if (this.#canRead && !this.#canRead(change.dataset)) return;
    if (this.#sinceSyncCount !== null && change.syncCount <= this.#sinceSyncCount) return;
    const mayRead = this.#mayRead;
    if (mayRead === undefined) return this.#deliver(change);
    // A failed check (storage unreachable) withholds the event: it is a hint, the next pull catches up.
    this.#checks = (this.#checks ?? Promise.resolve()).then(() =>
      mayRead(change).then(
        (allowed) => {
          if (allowed) this.#deliver(change);
        },
        () => undefined,
      ),
    );
  }

  #deliver(change: CommittedChange): void {
    if (this.#deps.now() >= this.#expiresAtMs) return this.#dropOrFail("token-expired");
    this.queue.push(toDatasetEvent(change));
  }

  #dropOrFail(reason: DropReason): void {
    if (this.#connection) this.#connection.drop(reason);
    else this.queue.fail(dropError(reason, this.maxPendingBytes));
  }
}

function dropError(reason: DropReason, maxPendingBytes: number): SyncpoolError {
  return reason === "token-expired"
    ? new SyncpoolError("UNAUTHENTICATED", "token expired: sign in again and resubscribe with your last sync count", { reason: "TOKEN_EXPIRED" })
    : new SyncpoolError(
        "LIMIT_EXCEEDED",
        `slow consumer: more than ${maxPendingBytes} bytes of events waited for this subscriber; resubscribe with your last sync count`,
        { limit: "maxBufferedBytes", max: maxPendingBytes },
      );
}

function badInput(field: string, message: string): SyncpoolError {
  return new SyncpoolError("BAD_USER_INPUT", message, { field });
}
