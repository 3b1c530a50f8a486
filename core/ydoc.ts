/**
 * YDOC record values: a Yjs document state carried as a base64 Yjs (v1) update.
 *
 * Merging is `Y.mergeUpdates` followed by compaction: load the merged update into a fresh
 * `Y.Doc` and re-encode it with `Y.encodeStateAsUpdate`. We compact on EVERY merge, not only above
 * a size threshold, because of an experiment (kept as properties in `test/unit/core-ydoc.test.ts`
 * and `core-merge.test.ts`): `Y.mergeUpdates` alone gives different bytes for different merge
 * orders (about 4% of random cases), while load + re-encode gave byte-identical output for every
 * order and grouping in 15,000 random cases (Y.Text, Y.Map and Y.Array edits by 6 clients,
 * partial updates with missing dependencies included). So the merge is commutative and
 * associative down to the byte, every replica stores the same text for the same document, and
 * "did the value change" is a string comparison. A size threshold would have given up that
 * property and saves nothing where it matters: above a few KiB the threshold would compact anyway.
 * Cost, measured: about 120 ms to compact a 770 KB document on one core.
 *
 * The server's merge of a pushed update into its stored document does not compact every time:
 * it splices the update in (`ydoc-append.ts`) and compacts with `canonicalYdocValue` when the
 * slack calls for it. This canonical merge stays what clients and identity merges use, and what
 * the splice falls back to.
 *
 * Compaction keeps what Yjs needs to merge later edits (deleted items stay as ContentDeleted
 * placeholders) and drops the deleted text itself, so quota counts only live content plus
 * structure. Updates whose dependencies are missing stay pending inside the encoded state.
 */
import * as Y from "yjs";
import { decodeBase64, encodeBase64 } from "./base64.js";
import { SyncpoolError } from "./errors.js";

// Loads updates into a throwaway document and encodes its whole state: the canonical form.
function compactUpdates(updates: Uint8Array[]): Uint8Array {
  const doc = new Y.Doc({ gc: true });
  try {
    for (const update of updates) Y.applyUpdate(doc, update);
    return Y.encodeStateAsUpdate(doc);
  } finally {
    doc.destroy();
  }
}

/**
 * Checks that `value` is base64 of a Yjs v1 update and returns its bytes. Throws
 * `SyncpoolError('BAD_USER_INPUT')` with details `{field}` otherwise. The check is structural:
 * the update must decode and apply to an empty document without error. Bytes that happen to
 * form a valid update are accepted (Yjs cannot tell intent), and missing dependencies are not an
 * error (a partial update is valid; its structs wait for the rest).
 */
export function validateYdocUpdate(value: string, field: string): Uint8Array {
  const bytes = decodeBase64(value, field);
  if (bytes.length === 0) {
    throw new SyncpoolError("BAD_USER_INPUT", `${field}: empty Yjs update`, { field });
  }
  const doc = new Y.Doc({ gc: true });
  try {
    Y.applyUpdate(doc, bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SyncpoolError("BAD_USER_INPUT", `${field}: not a valid Yjs update (${reason})`, {
      field,
    });
  } finally {
    doc.destroy();
  }
  return bytes;
}

/**
 * The canonical (compacted) form of one YDOC value: equal document states give equal text.
 * The server may store a first write in this form so that a later merge with the same update
 * does not look like a change. Expects a valid value (see `validateYdocUpdate`).
 */
export function canonicalYdocValue(value: string): string {
  return encodeBase64(compactUpdates([decodeBase64(value)]));
}

/**
 * Merges two YDOC values (base64 Yjs updates) into one holding both documents' edits, in
 * canonical form: the result is byte-identical whatever the argument order or grouping, and
 * merging a value with itself gives its canonical form. Expects valid values.
 */
export function mergeYdocValues(a: string, b: string): string {
  const merged = Y.mergeUpdates([decodeBase64(a), decodeBase64(b)]);
  return encodeBase64(compactUpdates([merged]));
}

/**
 * True when two YDOC values hold the same document state (the same edits and deletions), even
 * when their bytes differ because one is not in canonical form.
 */
export function ydocValuesEqual(a: string, b: string): boolean {
  return a === b || canonicalYdocValue(a) === canonicalYdocValue(b);
}
