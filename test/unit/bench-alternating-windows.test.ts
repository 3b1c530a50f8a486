/**
 * `measureAlternating` (bench/lib/alternating-windows.ts): goal 1's rate judged against the bare
 * server's windows on either side of each of its own, so a drift of the machine between windows
 * does not decide the goal.
 */
import { expect, it } from "vitest";
import { combineWindows, measureAlternating } from "../../bench/lib/alternating-windows.js";
import type { LoadResult } from "../../bench/lib/load-patterns.js";

const window = (perSecond: number, seconds = 1): LoadResult => ({
  completed: perSecond * seconds,
  failed: 0,
  firstFailure: null,
  seconds,
  perSecond,
  latency: { samples: perSecond * seconds, medianMs: 1000 / perSecond, p99Ms: 2000 / perSecond } as LoadResult["latency"],
});

it("runs the baseline before, between and after the measured windows, and judges each against the mean of its neighbours", async () => {
  const order: string[] = [];
  const baselineRates = [1000, 3000, 2000, 2000];
  const measuredRates = [300, 250, 600];
  let baselineIndex = 0;
  const result = await measureAlternating(
    3,
    async () => (order.push("baseline"), window(baselineRates[baselineIndex++]!)),
    async (index) => (order.push(`measured ${index}`), window(measuredRates[index]!)),
  );

  expect(order).toEqual(["baseline", "measured 0", "baseline", "measured 1", "baseline", "measured 2", "baseline"]);
  expect(result.baselinePerSecond).toEqual(baselineRates);
  expect(result.ratios).toEqual([300 / 2000, 250 / 2500, 600 / 2000]);
  expect(result.medianRatio).toBe(0.15);
});

it("combines the measured windows into one rate over all of them, with the median window's latencies", () => {
  const combined = combineWindows([window(100, 2), window(300, 2), window(200, 2)]);
  expect(combined).toMatchObject({ completed: 1200, seconds: 6, perSecond: 200, latency: { medianMs: 5 } });
});
