/**
 * Entry point of a YDOC worker thread (`ydoc-pool.ts` starts it): runs Yjs jobs one at a time and
 * posts each answer back with the job's id. A job that runs too long is not this file's concern:
 * the pool terminates the whole thread.
 */
import { parentPort } from "node:worker_threads";
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
// Loaded: the pool starts the time limit of a job only from here on.
port.postMessage({ ready: true });
