/**
 * Order statistics of latency samples. Percentiles are nearest-rank (the sample at or above the
 * rank), so a p99 of fewer than 100 samples is the largest sample, never an interpolation.
 */

/** A latency distribution reduced to what the tables quote, in milliseconds. */
export interface LatencySummary {
  samples: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
}

/** The nearest-rank `p`th percentile (0-100) of `samples`; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Median, p99 and max of `samples` (milliseconds). */
export function summarize(samples: readonly number[]): LatencySummary {
  return {
    samples: samples.length,
    medianMs: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    maxMs: samples.length === 0 ? Number.NaN : Math.max(...samples),
  };
}

/** The median of a few repeated measurements (throughput runs). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
