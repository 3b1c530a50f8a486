/**
 * Two ways to load a server with one kind of request: closed loop (N workers, each sending the
 * next request when the last is answered: the rate at saturation) and open loop (requests sent at
 * a fixed rate whatever the answers do: the latency at a given load). Open-loop latency is timed
 * from when a request was due, not when it went out, so a stalled sender cannot hide a stall of
 * the server (no coordinated omission).
 */
import { performance } from "node:perf_hooks";
import { summarize, type LatencySummary } from "./stats.js";

/** What a load run measured; failed requests are counted apart and not in the rate. */
export interface LoadResult {
  completed: number;
  failed: number;
  /** The first failure's message, if any. */
  firstFailure: string | null;
  seconds: number;
  perSecond: number;
  latency: LatencySummary;
}

/**
 * `workers` closed loops of `operation(worker)` for `windowMs`, after `warmUpMs` of the same
 * load that is not counted. `onWindow` is called as the counted window starts and as it ends
 * (after its last answer), to measure something over exactly that window.
 */
export async function measureClosedLoop(workers: number, windowMs: number, warmUpMs: number, operation: (worker: number) => Promise<void>, onWindow?: (edge: "start" | "end") => void): Promise<LoadResult> {
  const run = async (durationMs: number) => {
    const latencies: number[] = [];
    const failures: string[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: workers }, async (_, worker) => {
        while (performance.now() - started < durationMs) {
          const sentAt = performance.now();
          try {
            await operation(worker);
            latencies.push(performance.now() - sentAt);
          } catch (error) {
            failures.push(error instanceof Error ? error.message : String(error));
          }
        }
      }),
    );
    return toResult(latencies, failures, (performance.now() - started) / 1000);
  };
  await run(warmUpMs);
  onWindow?.("start");
  const result = await run(windowMs);
  onWindow?.("end");
  return result;
}

/** `operation()` started `perSecond` times a second for `windowMs`, each timed from when it was due. */
export async function measureOpenLoop(perSecond: number, windowMs: number, operation: () => Promise<void>): Promise<LoadResult> {
  const intervalMs = 1000 / perSecond;
  const count = Math.max(1, Math.floor(windowMs / intervalMs));
  const latencies: number[] = [];
  const failures: string[] = [];
  const inFlight: Array<Promise<void>> = [];
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const dueAt = started + index * intervalMs;
    const waitMs = dueAt - performance.now();
    // Pacing, not waiting for an outcome: the next request is due at a fixed time.
    if (waitMs > 1) await new Promise((resolve) => setTimeout(resolve, waitMs));
    inFlight.push(
      operation().then(
        () => void latencies.push(performance.now() - dueAt),
        (error: unknown) => void failures.push(error instanceof Error ? error.message : String(error)),
      ),
    );
  }
  await Promise.all(inFlight);
  return toResult(latencies, failures, (performance.now() - started) / 1000);
}

function toResult(latencies: number[], failures: string[], seconds: number): LoadResult {
  return { completed: latencies.length, failed: failures.length, firstFailure: failures[0] ?? null, seconds, perSecond: latencies.length / seconds, latency: summarize(latencies) };
}
