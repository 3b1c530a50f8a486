/**
 * The documents bound in one signed-in session: one `DocBinding` per YDOC record, handed out again
 * until the app destroys it. Records changed by a sync pass, or by another tab sharing the
 * database, reach the bound docs through here.
 */
import type * as Y from "yjs";
import type { SyncRecord } from "../../core/types.js";
import { DocBinding, type DocHost } from "./doc-binding.js";

/** The bound docs of one signed-in identity, by dataset and key (see the module comment). */
export class DocRegistry {
  readonly #bindings = new Map<string, DocBinding>();

  constructor(private readonly host: DocHost) {}

  /** The doc bound to `key` of `dataset`, bound (and loading) on first use. */
  open(dataset: string, key: string): Y.Doc {
    const id = docId(dataset, key);
    const existing = this.#bindings.get(id);
    if (existing) return existing.doc;
    const binding = new DocBinding(this.host, dataset, key, () => this.#bindings.delete(id));
    this.#bindings.set(id, binding);
    return binding.doc;
  }

  /** Applies records the server changed to the docs bound to them (others are ignored). */
  apply(dataset: string, records: readonly (Pick<SyncRecord, "kind" | "deleted" | "value"> & { key: string })[]): void {
    if (this.#bindings.size === 0) return;
    for (const record of records) this.#bindings.get(docId(dataset, record.key))?.applyRemote(record);
  }

  /** Loads `keys` from storage into their bound docs (another tab changed them). */
  async reload(dataset: string, keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const binding = this.#bindings.get(docId(dataset, key));
      if (!binding) continue;
      try {
        const record = await this.host.load(dataset, key);
        if (record) binding.applyRemote(record);
      } catch (error) {
        this.host.reportError(error, dataset, key);
      }
    }
  }

  /** Resolves when edits made so far to the bound docs (of `dataset`, or all) are saved. */
  async flushed(dataset?: string): Promise<void> {
    const bindings = [...this.#bindings.values()].filter((binding) => dataset === undefined || binding.dataset === dataset);
    await Promise.all(bindings.map((binding) => binding.flushed()));
  }

  /** Destroys every bound doc (sign-out, close). */
  destroyAll(): void {
    for (const binding of [...this.#bindings.values()]) binding.doc.destroy();
  }
}

function docId(dataset: string, key: string): string {
  return `${dataset}\u0000${key}`;
}
