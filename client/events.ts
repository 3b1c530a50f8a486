/**
 * The client's events and a tiny typed emitter. Listeners run synchronously in registration
 * order; a listener that throws does not stop the others (the error goes to `console.error`).
 */
import type { ErrorCode, SyncpoolError } from "../core/errors.js";
import type { PatchOp, RecordKind, SyncRecord } from "../core/types.js";
import type { SyncState } from "./sync/sync-loop.js";

/** An OPTIMISTIC conflict as the `conflict` event reports it (unresolved ones). */
export interface ConflictReport {
  dataset: string;
  key: string;
  local: SyncRecord | null;
  remote: SyncRecord | null;
  /** The record as last synced before the local write (see `Conflict.base`). */
  base: SyncRecord | null;
}

/** One side of an `overwritten` report. */
export interface OverwrittenSide<C = string> {
  /** A STRING record's value or a JSON field's value; undefined when removed or absent. */
  value: unknown;
  /** The hybrid logical clock of the write. */
  clock: C;
}

/**
 * A local write that lost the merge to a concurrent remote one: a STRING record's value, or
 * the field at `path` (dotted) of a JSON record. `local` is what this device wrote, `remote`
 * what shows now and the clock of the write that beat it (null when the merge does not tell it).
 */
export interface OverwrittenReport {
  dataset: string;
  key: string;
  /** The dotted path of the JSON field; absent for a STRING record. */
  path?: string;
  local: OverwrittenSide;
  remote: OverwrittenSide<string | null>;
}

/** One write the server refused, as it was sent (a YDOC value is the Yjs update). */
export interface RejectedWrite {
  key: string;
  op: PatchOp;
  value: string | null;
  kind: RecordKind;
}

/** Every event and its payload. */
export interface ClientEvents {
  /**
   * The server refused writes for good (`code`: LIMIT_EXCEEDED, TRIGGER_REJECTED, BAD_USER_INPUT
   * or FORBIDDEN). They left the outbox; the server's values replace them locally with the pull
   * that follows. Show the user, who may write again.
   */
  writeRejected: { dataset: string; code: ErrorCode; error: SyncpoolError; records: RejectedWrite[] };
  /** OPTIMISTIC conflicts that no `onConflict` handler resolved; they stay pending. */
  conflict: { dataset: string; conflicts: ConflictReport[] };
  /**
   * A local write lost the merge to a concurrent remote one (CRDT datasets: on a pull, a live
   * change or a push answer). Once per lost write; the record already shows the winner.
   */
  overwritten: OverwrittenReport;
  /** A dataset was deleted on the server (by another device or an admin); local copies are gone. */
  datasetDeleted: { dataset: string };
  /**
   * Data of other identities was merged into `dataset` (a guest signed in with a login that
   * already had an identity). Emitted on sign-in for each dataset the guest held on this device,
   * with `mergedIdentityIds`; and by a pull whose page lists conflict copies
   * (`<dataset>.merged.<guestId>`, OPTIMISTIC datasets) in `mergedDatasetNames`.
   */
  datasetsMerged: { dataset: string; mergedDatasetNames: string[]; mergedIdentityIds?: string[] };
  /** A sync pass starts. */
  syncStart: { datasets: string[] | "all" };
  /** Records fetched so far for a dataset in this pass; `total` when the server told it. */
  syncProgress: { dataset: string; fetched: number; total?: number };
  /** A sync pass finished: everything pushed and pulled to the latest count. */
  syncDone: { datasets: string[] };
  /** A sync pass failed; the loop retries with backoff when the error is retryable. */
  syncError: { error: unknown; dataset?: string; key?: string };
  /** The server answered after a network failure (or the platform said so). */
  online: Record<string, never>;
  /** The server could not be reached (or the platform said so). */
  offline: Record<string, never>;
  /** The identity signed out, in this tab or another one of this browser (`wiped`: data deleted). */
  signedOut: { wiped: boolean };
  /** The sync loop moved to `state` (what `client.syncState` now reports). */
  syncState: { state: SyncState };
  /** An identity is now signed in (its database open; `identityId` and watchers already follow it). */
  signedIn: { identityId: string };
}

export type ClientEventName = keyof ClientEvents;
export type Listener<E extends ClientEventName> = (payload: ClientEvents[E]) => void;

export class Emitter {
  readonly #listeners = new Map<ClientEventName, Set<(payload: never) => void>>();

  /** Adds a listener; returns the function that removes it. */
  on<E extends ClientEventName>(event: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  emit<E extends ClientEventName>(event: E, payload: ClientEvents[E]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as Listener<E>)(payload);
      } catch (error) {
        console.error(`syncpool: a '${event}' listener threw`, error);
      }
    }
  }

  /** Number of listeners for `event` (the client warns about unhandled conflicts with it). */
  count(event: ClientEventName): number {
    return this.#listeners.get(event)?.size ?? 0;
  }
}
