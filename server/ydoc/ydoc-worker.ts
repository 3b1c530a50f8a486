/**
 * Entry point of a YDOC worker thread (`ydoc-pool.ts` starts it): runs Yjs jobs one at a time and
 * posts each answer back with the job's id. A job that runs too long is not this file's concern:
 * the pool terminates the whole thread.
 */
import { parentPort } from "node:worker_threads";
import * as Y from "yjs";
import { encodeBase64 } from "../../core/base64.js";
import { DEFAULT_YDOC_BUDGET } from "../../core/ydoc-budget.js";
import { runYdocJob, toJobFailure, type YdocJob } from "./ydoc-jobs.js";

/** A job as the pool sends it. */
export interface YdocJobMessage {
  id: number;
  job: YdocJob;
}

if (!parentPort) throw new Error("ydoc-worker.ts runs only as a worker thread");
const port = parentPort;
port.on("message", ({ id, job }: YdocJobMessage) => {
  try {
    port.postMessage({ id, result: runYdocJob(job) });
  } catch (error) {
    port.postMessage({ id, failure: toJobFailure(error) });
  }
});
warmUp();
// Loaded and warm: the pool starts the time limit of a job only from here on.
port.postMessage({ ready: true });

/**
 * Runs each kind of job once on a tiny document, so that a fresh worker's first real job is not
 * charged for loading and compiling Yjs's code paths against its time limit.
 */
function warmUp(): void {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, "warm");
  const value = encodeBase64(Y.encodeStateAsUpdate(doc));
  doc.destroy();
  runYdocJob({ op: "validate", value, field: "warm-up", budget: DEFAULT_YDOC_BUDGET });
  runYdocJob({ op: "merge", stored: value, incoming: value });
  runYdocJob({ op: "equal", a: value, b: value });
}
