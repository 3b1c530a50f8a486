/**
 * What a live `datasetChanged` event does to this device, by the rule of docs/push.md:
 *
 * - an event of this client's own push (its `mutationId`): nothing (the push's answer was applied);
 * - `syncCount` not above the pulled count: nothing (already pulled);
 * - exactly one above, with `records`: applied like a pull (`store/apply-live-change.ts`);
 * - otherwise (a gap, records too large to inline, `behind`, `deleted`, a dataset this device
 *   does not hold yet): a pull of that dataset is requested from the sync loop.
 *
 * Events are handled one at a time, in arrival order, each under the same lock as sync passes
 * (`exclusive`), so an applied change and a pull never interleave.
 */
import type { SyncRecord } from "../../core/types.js";
import { applyLiveChange } from "../store/apply-live-change.js";
import { readDatasetMeta } from "../store/read-records.js";
import type { DatasetChange } from "../transport/subscription.js";
import type { OverwrittenReport } from "../events.js";
import { emitOverwritten, type SyncContext } from "./sync-dataset.js";

/** How many of this client's recent mutation ids are remembered to recognise its own events. */
const OWN_MUTATION_IDS = 1_000;

export interface LiveChangesOptions {
  ctx: SyncContext;
  /** Runs `task` while no sync pass runs. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  /** Asks the sync loop for a pass over `dataset` (a pull). */
  requestPull(dataset: string): void;
  onError(error: unknown, dataset: string): void;
}

/** Applies live events (see the module comment). */
export class LiveChanges {
  readonly #options: LiveChangesOptions;
  readonly #ownMutationIds = new Set<string>();
  #queue: Promise<void> = Promise.resolve();

  constructor(options: LiveChangesOptions) {
    this.#options = options;
  }

  /** Remembers a mutation id this client is about to push; returns it. */
  own(mutationId: string): string {
    this.#ownMutationIds.add(mutationId);
    if (this.#ownMutationIds.size > OWN_MUTATION_IDS) {
      this.#ownMutationIds.delete(this.#ownMutationIds.values().next().value as string);
    }
    return mutationId;
  }

  /** Queues `change` for handling. */
  receive(change: DatasetChange): void {
    if (change.mutationId !== null && this.#ownMutationIds.has(change.mutationId)) return;
    this.#queue = this.#queue.then(() =>
      this.#handle(change).catch((error: unknown) => {
        this.#options.onError(error, change.dataset);
        this.#options.requestPull(change.dataset);
      }),
    );
  }

  /** Resolves when every event received so far is handled (tests). */
  idle(): Promise<void> {
    return this.#queue;
  }

  async #handle(change: DatasetChange): Promise<void> {
    const { ctx, exclusive, requestPull } = this.#options;
    const inline = change.records !== null && !change.behind && !change.deleted;
    if (!inline) {
      const pulled = (await readDatasetMeta(ctx.db, change.dataset))?.pulledSyncCount ?? 0;
      if (change.deleted || change.syncCount > pulled) requestPull(change.dataset);
      return;
    }
    const records = change.records as SyncRecord[];
    const overwritten: OverwrittenReport[] = [];
    const outcome = await exclusive(() => applyLiveChange(ctx.db, change.dataset, change.syncCount, records, ctx.clock, overwritten));
    if (outcome.applied) {
      ctx.recordsChanged(change.dataset, outcome.changed);
      emitOverwritten(ctx, overwritten);
    }
    else if (!outcome.stale) requestPull(change.dataset);
  }
}
