/**
 * A pool of worker threads for Yjs work, so that no Yjs integration runs on the server's event
 * loop. Workers start on the first job and stay alive for the next ones (starting a thread costs
 * tens of milliseconds, more under tsx). A worker takes jobs once it says it is ready, and each job
 * gets a hard time limit from the moment a worker takes it (so start-up never counts): past
 * it, the worker is terminated (V8 stops it mid-loop), replaced, and the job fails with
 * BAD_USER_INPUT `{reason: "YDOC_TOO_COMPLEX"}`. A worker that dies (out of its memory limit)
 * fails its job the same way. Jobs wait in one FIFO queue for a free worker.
 */
import { Worker } from "node:worker_threads";
import { SyncpoolError } from "../../core/errors.js";
import { YDOC_TOO_COMPLEX } from "../../core/ydoc-budget.js";
import type { YdocJob, YdocJobFailure, YdocJobResult } from "./ydoc-jobs.js";

/** How the pool runs. */
export interface YdocPoolOptions {
  /** Worker threads (at least 1). */
  workers: number;
  /** Longest a job may run in a worker before the worker is terminated. */
  timeLimitMs: number;
  /** V8 old-generation heap cap per worker, so a memory-hungry update kills its worker, not the server. */
  maxHeapMb?: number;
}

/** Runs Yjs jobs in worker threads. */
export interface YdocPool {
  run(job: YdocJob): Promise<YdocJobResult>;
  /** Workers terminated for running over the time limit or dying, since start (for tests and logs). */
  readonly killedWorkers: number;
  /** Terminates the workers; queued jobs fail. Idempotent. */
  close(): Promise<void>;
}

interface Pending {
  id: number;
  job: YdocJob;
  resolve(result: YdocJobResult): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker | null;
  /** The worker has loaded its code and posted "ready". */
  ready: boolean;
  current: Pending | null;
  timer: NodeJS.Timeout | null;
}

type WorkerAnswer = { ready: true } | { id: number; result: YdocJobResult } | { id: number; failure: YdocJobFailure };

const DEFAULT_MAX_HEAP_MB = 512;

/** Creates a pool; no thread starts until the first job. */
export function createYdocPool(options: YdocPoolOptions): YdocPool {
  const slots: Slot[] = Array.from({ length: Math.max(1, options.workers) }, () => ({ worker: null, ready: false, current: null, timer: null }));
  const queue: Pending[] = [];
  let nextId = 1;
  let killedWorkers = 0;
  let closed = false;

  const startWorker = (slot: Slot): Worker => {
    const worker = spawnYdocWorker(options.maxHeapMb ?? DEFAULT_MAX_HEAP_MB);
    // Idle workers must not keep the process alive; a busy one is awaited by its caller anyway.
    worker.unref();
    worker.on("message", (answer: WorkerAnswer) => {
      if (slot.worker !== worker) return;
      if ("ready" in answer) {
        slot.ready = true;
        dispatch();
        return;
      }
      const pending = slot.current;
      if (slot.worker !== worker || !pending || pending.id !== answer.id) return;
      finish(slot);
      if ("result" in answer) pending.resolve(answer.result);
      else pending.reject(fromFailure(answer.failure));
      dispatch();
    });
    worker.on("error", (error) => retire(slot, worker, error));
    worker.on("exit", (exitCode) => retire(slot, worker, new Error(`YDOC worker exited with code ${exitCode}`)));
    return worker;
  };

  // The worker is gone (crashed, out of memory, or terminated by us): its job fails as too complex.
  const retire = (slot: Slot, worker: Worker, cause: Error) => {
    if (slot.worker !== worker) return;
    const wasReady = slot.ready;
    slot.worker = null;
    slot.ready = false;
    const pending = slot.current;
    finish(slot);
    if (pending) {
      killedWorkers++;
      pending.reject(tooComplex(`the Yjs work stopped: ${cause.message}`, pending.job));
    } else if (!wasReady) {
      // It never loaded (a broken install): fail the waiting jobs rather than restart forever.
      for (const waiting of queue.splice(0)) waiting.reject(new Error(`YDOC worker failed to start: ${cause.message}`));
      return;
    }
    dispatch();
  };

  const finish = (slot: Slot) => {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.current = null;
  };

  const dispatch = () => {
    if (closed) return;
    for (const slot of slots) {
      if (slot.current || queue.length === 0) continue;
      slot.worker ??= startWorker(slot);
      if (!slot.ready) continue;
      const worker = slot.worker;
      const pending = queue.shift()!;
      slot.current = pending;
      slot.timer = setTimeout(() => {
        // Over the limit: stop the thread where it is, start afresh for the next job.
        slot.worker = null;
        slot.ready = false;
        finish(slot);
        killedWorkers++;
        void worker.terminate();
        pending.reject(tooComplex(`the Yjs work ran over its ${options.timeLimitMs} ms limit`, pending.job));
        dispatch();
      }, options.timeLimitMs);
      worker.postMessage({ id: pending.id, job: pending.job });
    }
    // Hold the process open only while there is work: a busy or starting worker, never an idle one.
    for (const slot of slots) {
      if (slot.current || queue.length > 0) slot.worker?.ref();
      else slot.worker?.unref();
    }
  };

  return {
    run(job) {
      if (closed) return Promise.reject(new Error("the YDOC worker pool is closed"));
      return new Promise<YdocJobResult>((resolve, reject) => {
        queue.push({ id: nextId++, job, resolve, reject });
        dispatch();
      });
    },
    get killedWorkers() {
      return killedWorkers;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const pending of queue.splice(0)) pending.reject(new Error("the YDOC worker pool closed"));
      await Promise.all(
        slots.map(async (slot) => {
          const { worker, current } = slot;
          slot.worker = null;
          slot.ready = false;
          finish(slot);
          current?.reject(new Error("the YDOC worker pool closed"));
          await worker?.terminate();
        }),
      );
    },
  };
}

/**
 * Starts `ydoc-worker`: the compiled `.js` beside this file in `dist/`, or the TypeScript source
 * under tsx and vitest (which run this file as `.ts`), loaded through tsx's loader.
 */
function spawnYdocWorker(maxHeapMb: number): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: maxHeapMb };
  if (import.meta.url.endsWith(".ts")) {
    const source = new URL("./ydoc-worker.ts", import.meta.url).href;
    const bootstrap = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`;
    return new Worker(bootstrap, { eval: true, resourceLimits });
  }
  return new Worker(new URL("./ydoc-worker.js", import.meta.url), { resourceLimits });
}

// A validation names the field it checked; a merge's inputs are the push's and the stored value.
function tooComplex(message: string, job: YdocJob): SyncpoolError {
  const field = job.op === "validate" ? { field: job.field } : {};
  const prefix = job.op === "validate" ? `${job.field}: ` : "";
  return new SyncpoolError("BAD_USER_INPUT", `${prefix}YDOC value too complex to merge (${message})`, { ...field, reason: YDOC_TOO_COMPLEX });
}

function fromFailure(failure: YdocJobFailure): Error {
  return failure.code ? new SyncpoolError(failure.code, failure.message, failure.details) : new Error(`YDOC worker: ${failure.message}`);
}
