/**
 * The server's YDOC work, as the sync operations see it: every value that comes in is checked
 * against the structural budget first, then validated; every merge and document comparison runs
 * in the worker pool under its time limit. Even the budget check of a large update runs in the
 * worker: decoding 100 KB of structs costs tens of milliseconds the event loop cannot spare.
 * Work too small to matter runs in place: a value of a few KB decodes in well under a
 * millisecond, an update of a few structs cannot be expensive to integrate, and a round trip to a
 * worker would cost more than the work.
 */
import { decodeBase64 } from "../../core/base64.js";
import { checkYdocBudget, checkYdocHeader, type YdocBudget } from "../../core/ydoc-budget.js";
import { runYdocJob, type YdocJob, type YdocJobResult } from "./ydoc-jobs.js";
import type { YdocPool } from "./ydoc-pool.js";

/** Yjs work on YDOC values (base64 Yjs v1 updates). Failures are SyncpoolErrors. */
export interface YdocWork {
  /**
   * Refuses a value that is not a Yjs update (BAD_USER_INPUT), is over the budget or takes too
   * long to integrate (BAD_USER_INPUT, `reason: "YDOC_TOO_COMPLEX"`).
   */
  validate(value: string, field: string): Promise<void>;
  /**
   * `mergeYdocIncrementally(stored, incoming)`: a document holding both (the update spliced in,
   * compacted when due), and whether it differs from `stored` as a document.
   */
  merge(stored: string, incoming: string): Promise<{ value: string; changed: boolean }>;
  /** `ydocValuesEqual(a, b)`. */
  equal(a: string, b: string): Promise<boolean>;
}

/** Values up to this many base64 characters have their budget checked in place. */
export const INLINE_BUDGET_MAX_CHARS = 4096;
/** Structs (plus delete ranges) such a value may have and still be validated in place. */
export const INLINE_VALIDATE_MAX_STRUCTS = 64;
/** Merges whose two values together are at most this many base64 characters run in place. */
export const INLINE_MERGE_MAX_CHARS = 1024;

/** YDOC work through `pool`, with `budget` checked first. */
export function createYdocWork(pool: YdocPool, budget: YdocBudget): YdocWork {
  return {
    async validate(value, field) {
      const job: YdocJob = { op: "validate", value, field, budget };
      checkYdocHeader(value, budget, field);
      if (value.length <= INLINE_BUDGET_MAX_CHARS) {
        const shape = checkYdocBudget(decodeBase64(value, field), budget, field);
        if (shape.structs + shape.deleteRanges <= INLINE_VALIDATE_MAX_STRUCTS) {
          runYdocJob(job);
          return;
        }
      }
      await pool.run(job);
    },
    async merge(stored, incoming) {
      const job: YdocJob = { op: "merge", stored, incoming };
      const result = stored.length + incoming.length <= INLINE_MERGE_MAX_CHARS ? runYdocJob(job) : await pool.run(job);
      return expect(result, "merge");
    },
    async equal(a, b) {
      const job: YdocJob = { op: "equal", a, b };
      const result = a.length + b.length <= INLINE_MERGE_MAX_CHARS ? runYdocJob(job) : await pool.run(job);
      return expect(result, "equal").equal;
    },
  };
}

/**
 * All work in place, with the budget still checked: for code that runs a sync operation without
 * a server (tests, tools). The server itself always uses a pool.
 */
export function createInlineYdocWork(budget: YdocBudget): YdocWork {
  const pool: YdocPool = {
    run: async (job) => runYdocJob(job),
    killedWorkers: 0,
    close: async () => {},
  };
  return createYdocWork(pool, budget);
}

function expect<Op extends YdocJobResult["op"]>(result: YdocJobResult, op: Op): Extract<YdocJobResult, { op: Op }> {
  if (result.op !== op) throw new Error(`YDOC worker answered ${result.op} to a ${op} job`);
  return result as Extract<YdocJobResult, { op: Op }>;
}
