/**
 * `client.transaction(fn)` and `dataset.putMany(entries)`: several writes committed together, in
 * one IndexedDB transaction with one limit check per dataset. The writes are collected while the
 * app's function runs (validated as they come) and stored when it returns; if it throws, nothing
 * is stored. Reads inside the function see the data as it was before the batch.
 */
import { SyncpoolError } from "../core/errors.js";
import { assertDatasetName, assertRecordKey } from "../core/limits.js";
import type { LocalWrite } from "./store/local-write.js";

/** A value `put` takes: a string (STRING record) or a plain object (JSON record). */
export type PutValue = string | Record<string, unknown>;

/** What `putMany` accepts: an object of key/value pairs, or `[key, value]` entries. */
export type Entries = Record<string, PutValue> | Iterable<readonly [string, PutValue]>;

/** A dataset's writes inside `client.transaction()`. */
export interface TransactionDataset {
  /** Queues `key = value`: a string, or a plain object for a JSON record (see `Dataset.put`). */
  put(key: string, value: PutValue): void;
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

/** Collects checked writes in order. */
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

  put(dataset: string, key: string, value: PutValue): void {
    assertRecordKey(key);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      this.writes.push({ dataset, key, op: "REPLACE", value: null, kind: "JSON", json: { put: value } });
      return;
    }
    if (typeof value !== "string") {
      throw new SyncpoolError("BAD_USER_INPUT", `value of ${key}: must be a string (remove(key) deletes)`, { field: "value", key });
    }
    this.writes.push({ dataset, key, op: "REPLACE", value, kind: "STRING" });
  }
}

/** The `[key, value]` pairs of `entries`. */
export function entriesOf(entries: Entries): Iterable<readonly [string, PutValue]> {
  return Symbol.iterator in entries ? (entries as Iterable<readonly [string, PutValue]>) : Object.entries(entries);
}
