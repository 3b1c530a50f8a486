/**
 * Yjs answers computed ahead of a merge plan. The plans (`push-plan.ts`, `merge-plan.ts`) are
 * synchronous and call `core/merge.ts`, which needs `mergeYdocValues` and `ydocValuesEqual`; the
 * server works those out first, in the worker pool (`YdocWork`), for exactly the pairs the plan
 * will ask about, and hands the plan a `YdocMergeOps` that only looks the answers up. A question
 * nobody prepared is a bug (it would otherwise run Yjs on the event loop), so it throws.
 */
import { needsYdocMerge, type YdocMergeOps, type YdocSide } from "../../core/merge.js";
import type { YdocWork } from "./ydoc-work.js";

/** A stored state and the state merged into it (null when there is none stored). */
export interface YdocPair {
  before: YdocSide | null;
  incoming: YdocSide;
}

/**
 * Runs the merges `pairs` need (`needsYdocMerge`), and, for `equalPairs`, the document
 * comparisons, then answers them synchronously.
 */
export async function prepareYdocMerges(work: YdocWork, pairs: readonly YdocPair[], equalPairs: ReadonlyArray<[string, string]> = []): Promise<YdocMergeOps> {
  // merged.get(a).get(b): the merge of a and b; changed: whether that merge differs from a.
  const merged = new Map<string, Map<string, { value: string; changed: boolean }>>();
  const equal = new Map<string, Map<string, boolean>>();
  for (const { before, incoming } of pairs) {
    if (!before || !needsYdocMerge(before, incoming)) continue;
    const stored = before.value!;
    const result = await work.merge(stored, incoming.value!);
    inner(merged, stored).set(incoming.value!, result);
  }
  for (const [a, b] of equalPairs) inner(equal, a).set(b, await work.equal(a, b));
  return {
    merge(a, b) {
      const found = merged.get(a)?.get(b) ?? merged.get(b)?.get(a);
      if (!found) throw new Error("a YDOC merge nobody prepared (it would run Yjs on the event loop)");
      return found.value;
    },
    equal(a, b) {
      if (a === b) return true;
      for (const [x, y] of [[a, b], [b, a]] as const) {
        const known = equal.get(x)?.get(y);
        if (known !== undefined) return known;
        // The question a plan asks after a merge: is the merge of x (stored) with something still x?
        for (const result of merged.get(x)?.values() ?? []) if (result.value === y) return !result.changed;
      }
      throw new Error("a YDOC comparison nobody prepared (it would run Yjs on the event loop)");
    },
  };
}

function inner<V>(outer: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let map = outer.get(key);
  if (!map) outer.set(key, (map = new Map()));
  return map;
}
