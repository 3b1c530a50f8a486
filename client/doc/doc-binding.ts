/**
 * A `Y.Doc` bound to one YDOC record. Edits made to the doc by the app (any origin but ours) are
 * saved to the record and queued in the outbox as incremental updates; changes that arrive from
 * the server are applied to the doc with `REMOTE_ORIGIN`, so they are not saved or echoed back.
 *
 * The stored state loads asynchronously: `await doc.whenLoaded` (Yjs's own promise, resolved when
 * the binding emits `load`) before reading it. Edits made before that are kept; they merge.
 * Edits arriving while a save is running are merged (`Y.mergeUpdates`) and saved together.
 */
import * as Y from "yjs";
import { decodeBase64, encodeBase64 } from "../../core/base64.js";
import { assertKindKept } from "../../core/kind-change.js";
import type { SyncRecord } from "../../core/types.js";

/** The origin of updates this binding applies from storage or the server. */
export const REMOTE_ORIGIN: unique symbol = Symbol("syncpool:remote");

/** What a binding needs from the client. */
export interface DocHost {
  /** The stored record, if any. */
  load(dataset: string, key: string): Promise<SyncRecord | undefined>;
  /** Saves an incremental update (base64) to the record and queues it. */
  save(dataset: string, key: string, update: string): Promise<void>;
  /** A save failed (a limit, a closed database): the app hears of it through `syncError`. */
  reportError(error: unknown, dataset: string, key: string): void;
}

export class DocBinding {
  readonly doc: Y.Doc;
  #waiting: Uint8Array[] = [];
  #saving: Promise<void> | null = null;

  constructor(
    private readonly host: DocHost,
    readonly dataset: string,
    readonly key: string,
    onDestroy: () => void,
  ) {
    this.doc = new Y.Doc();
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE_ORIGIN) this.#queue(update);
    });
    this.doc.on("destroy", onDestroy);
    void this.#load();
  }

  /** Applies a record that came from the server (a no-op for what the doc already holds). */
  applyRemote(record: Pick<SyncRecord, "kind" | "deleted" | "value">): void {
    if (record.kind !== "YDOC" || record.deleted || record.value === null) return;
    Y.applyUpdate(this.doc, decodeBase64(record.value), REMOTE_ORIGIN);
  }

  /** Resolves when every edit made so far is saved locally (queued for the server). */
  async flushed(): Promise<void> {
    while (this.#saving) await this.#saving;
  }

  async #load(): Promise<void> {
    try {
      const record = await this.host.load(this.dataset, this.key);
      // A live STRING key cannot be a document: say so now rather than at the first failed save.
      assertKindKept(record, { key: this.key, kind: "YDOC", remove: false });
      if (record) this.applyRemote(record);
    } catch (error) {
      this.host.reportError(error, this.dataset, this.key);
    }
    this.doc.emit("load", [this.doc]);
  }

  #queue(update: Uint8Array): void {
    this.#waiting.push(update);
    this.#saving ??= this.#drain().finally(() => {
      this.#saving = null;
    });
  }

  async #drain(): Promise<void> {
    while (this.#waiting.length > 0) {
      const updates = this.#waiting;
      this.#waiting = [];
      const update = updates.length === 1 ? (updates[0] as Uint8Array) : Y.mergeUpdates(updates);
      try {
        await this.host.save(this.dataset, this.key, encodeBase64(update));
      } catch (error) {
        this.host.reportError(error, this.dataset, this.key);
      }
    }
  }
}
