/**
 * `client.transaction(fn)` and `dataset.putMany(entries)`: several writes committed together, in
 * one IndexedDB transaction with one limit check per dataset. The writes are collected while the
 * app's function runs (validated as they come) and stored when it returns; if it throws, nothing
 * is stored. Reads inside the function see the data as it was before the batch.
 */
import { SyncpoolError } from "../core/errors.js";
import { assertDatasetName, assertRecordKey } from "../core/limits.js";
import type { LocalWrite } from "./store/local-write.js";

/** What `putMany` accepts: an object of key/value pairs, or `[key, value]` entries. */
export type Entries = Record<string, string> | Iterable<readonly [string, string]>;

/** A dataset's writes inside `client.transaction()`. */
export interface TransactionDataset {
  /** Queues `key = value` (see `Dataset.put`). */
  put(key: string, value: string): void;
  /** Queues the removal of `key` (see `Dataset.remove`). */
  remove(key: string): void;
  /** Queues every entry. */
  putMany(entries: Entries): void;
}

/** The handle `client.transaction(fn)` passes to `fn`. */
export interface WriteTransaction {
  /** The writes to `name` in this transaction. */
  dataset(name: string): TransactionDataset;
}

/** Collects checked STRING writes in order. */
export class WriteBatch implements WriteTransaction {
  readonly writes: LocalWrite[] = [];

  dataset(name: string): TransactionDataset {
    assertDatasetName(name, "dataset");
    return {
      put: (key, value) => this.put(name, key, value),
      remove: (key) => {
        assertRecordKey(key);
        this.writes.push({ dataset: name, key, op: "REMOVE", value: null, kind: "STRING" });
      },
      putMany: (entries) => {
        for (const [key, value] of entriesOf(entries)) this.put(name, key, value);
      },
    };
  }

  put(dataset: string, key: string, value: string): void {
    assertRecordKey(key);
    if (typeof value !== "string") {
      throw new SyncpoolError("BAD_USER_INPUT", `value of ${key}: must be a string (remove(key) deletes)`, { field: "value", key });
    }
    this.writes.push({ dataset, key, op: "REPLACE", value, kind: "STRING" });
  }
}

/** The `[key, value]` pairs of `entries`. */
export function entriesOf(entries: Entries): Iterable<readonly [string, string]> {
  return Symbol.iterator in entries ? (entries as Iterable<readonly [string, string]>) : Object.entries(entries);
}
