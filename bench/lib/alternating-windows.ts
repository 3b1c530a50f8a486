/**
 * A rate and its baseline measured in windows that alternate (baseline, measured, baseline, ...,
 * baseline), each measured window judged against the mean of the two baseline windows beside it.
 * On a machine shared with other work the baseline's own rate moves up to twofold between
 * windows minutes apart; windows seconds apart drift far less, so the ratio they give, not the
 * ratio of two rates measured at different times, decides a goal.
 */
import type { LoadResult } from "./load-patterns.js";

/** Every window's rate, each measured window's ratio, and their median. */
export interface AlternatingWindows<Measured extends LoadResult> {
  /** The measured windows, in order. */
  measured: Measured[];
  /** The baseline's rates, one more than the measured windows. */
  baselinePerSecond: number[];
  /** Each measured window's rate over the mean of the baseline windows on either side. */
  ratios: number[];
  /** The median of `ratios`: what the goal is judged by. */
  medianRatio: number;
}

/**
 * Runs `count` windows of `measure(index)` between `count + 1` windows of `baseline()`, one after
 * another, and pairs each measured window with its neighbours.
 */
export async function measureAlternating<Measured extends LoadResult>(
  count: number,
  baseline: () => Promise<LoadResult>,
  measure: (index: number) => Promise<Measured>,
): Promise<AlternatingWindows<Measured>> {
  const baselinePerSecond = [(await baseline()).perSecond];
  const measured: Measured[] = [];
  for (let index = 0; index < count; index++) {
    measured.push(await measure(index));
    baselinePerSecond.push((await baseline()).perSecond);
  }
  const ratios = measured.map((window, index) => window.perSecond / ((baselinePerSecond[index]! + baselinePerSecond[index + 1]!) / 2));
  return { measured, baselinePerSecond, ratios, medianRatio: median(ratios) };
}

/**
 * The measured windows as one result: counts and time summed, the rate over all of them, the
 * latencies of the window whose rate is the median (summaries of several windows do not merge).
 */
export function combineWindows<Measured extends LoadResult>(windows: readonly Measured[]): Measured {
  const byRate = [...windows].sort((a, b) => a.perSecond - b.perSecond);
  const middle = byRate[Math.floor((byRate.length - 1) / 2)]!;
  const completed = windows.reduce((sum, window) => sum + window.completed, 0);
  const seconds = windows.reduce((sum, window) => sum + window.seconds, 0);
  const failed = windows.reduce((sum, window) => sum + window.failed, 0);
  const firstFailure = windows.find((window) => window.firstFailure !== null)?.firstFailure ?? null;
  return { ...middle, completed, failed, firstFailure, seconds, perSecond: completed / seconds };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
