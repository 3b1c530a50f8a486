/**
 * The Yjs work the server does on YDOC values, as plain messages: what the worker threads run
 * (`ydoc-worker.ts`) and what small jobs run in place (`ydoc-work.ts`). Inputs and answers are
 * strings and booleans so they cross a thread boundary cheaply.
 */
import { isSyncpoolError, type ErrorCode, type ErrorDetails } from "../../core/errors.js";
import { decodeBase64 } from "../../core/base64.js";
import { checkYdocBudget, type YdocBudget } from "../../core/ydoc-budget.js";
import { validateYdocUpdate, ydocValuesEqual } from "../../core/ydoc.js";
import { mergeYdocIncrementally } from "../../core/ydoc-append.js";

/** One unit of Yjs work. */
export type YdocJob =
  /** Check the update's shape against `budget`, then apply it to an empty document. */
  | { op: "validate"; value: string; field: string; budget: YdocBudget }
  /**
   * Merge `incoming` into `stored` (spliced, compacted when the slack calls for it), and say
   * whether the result differs from `stored` as a document.
   */
  | { op: "merge"; stored: string; incoming: string }
  /** Do two values hold the same document state? */
  | { op: "equal"; a: string; b: string };

/** The answer to a job, by its `op`. */
export type YdocJobResult =
  | { op: "validate" }
  | { op: "merge"; value: string; changed: boolean }
  | { op: "equal"; equal: boolean };

/** A job's failure as it crosses the thread boundary: the caller's fault (with code) or a bug. */
export interface YdocJobFailure {
  code: ErrorCode | null;
  message: string;
  details: ErrorDetails;
}

/** Runs one job on the calling thread. Throws what `core/ydoc.ts` throws. */
export function runYdocJob(job: YdocJob): YdocJobResult {
  switch (job.op) {
    case "validate":
      checkYdocBudget(decodeBase64(job.value, job.field), job.budget, job.field);
      validateYdocUpdate(job.value, job.field);
      return { op: "validate" };
    case "merge": {
      const { value, changed } = mergeYdocIncrementally(job.stored, job.incoming);
      return { op: "merge", value, changed };
    }
    case "equal":
      return { op: "equal", equal: ydocValuesEqual(job.a, job.b) };
  }
}

/** A thrown error as a message (a SyncpoolError keeps its code and details). */
export function toJobFailure(error: unknown): YdocJobFailure {
  if (isSyncpoolError(error)) return { code: error.code, message: error.message, details: error.details };
  return { code: null, message: error instanceof Error ? error.message : String(error), details: {} };
}
