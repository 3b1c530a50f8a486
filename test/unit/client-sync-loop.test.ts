import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SyncpoolError } from "../../core/errors.js";
import { backoffDelayMs, nominalBackoffMs } from "../../client/sync/backoff.js";
import { isRetryable } from "../../client/sync/retry-policy.js";
import { SyncLoop, type SyncLoopOptions, type SyncTarget } from "../../client/sync/sync-loop.js";
import { NetworkError } from "../../client/transport/network-error.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A loop whose passes are recorded and fail while `failing` is set. */
function makeLoop(options: Partial<SyncLoopOptions> = {}) {
  const passes: Array<{ at: number; target: SyncTarget }> = [];
  const state = { failing: null as unknown };
  const errors: unknown[] = [];
  const loop = new SyncLoop({
    runPass: async (target) => {
      passes.push({ at: Date.now(), target });
      if (state.failing) throw state.failing;
    },
    isRetryable: (error) => !(error instanceof SyncpoolError) || error.code === "RATE_LIMITED",
    onError: (error) => errors.push(error),
    intervalMs: 0,
    debounceMs: 300,
    debounceMaxWaitMs: 3_000,
    backoff: { baseMs: 1_000, maxMs: 8_000, random: () => 1 - Number.EPSILON },
    ...options,
  });
  return { loop, passes, state, errors, t0: Date.now() };
}

describe("backoff", () => {
  it("doubles from the base and stops at the cap", () => {
    const options = { baseMs: 1_000, maxMs: 60_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => nominalBackoffMs(n, options))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });

  it("keeps the jittered delay within [nominal/2, nominal]", () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const nominal = nominalBackoffMs(attempt, { baseMs: 500, maxMs: 30_000 });
      for (const r of [0, 0.25, 0.5, 0.999999]) {
        const delay = backoffDelayMs(attempt, { baseMs: 500, maxMs: 30_000, random: () => r });
        expect(delay).toBeGreaterThanOrEqual(nominal / 2);
        expect(delay).toBeLessThanOrEqual(nominal);
      }
    }
    expect(backoffDelayMs(3, { baseMs: 1_000, maxMs: 60_000, random: () => 0 })).toBe(2_000);
  });
});

describe("SyncLoop timing", () => {
  it("syncs once after the debounce when writes come in a burst", async () => {
    const { loop, passes, t0 } = makeLoop();
    loop.start({ syncNow: false });
    for (let i = 0; i < 5; i++) {
      loop.request("notes", { debounce: true });
      await vi.advanceTimersByTimeAsync(100);
    }
    // The last write was at +400 and it is +500 now: the pass is due at +700.
    expect(passes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(199);
    expect(passes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(passes).toHaveLength(1);
    expect(passes[0]?.at).toBe(t0 + 400 + 300);
    expect([...(passes[0]?.target as Set<string>)]).toEqual(["notes"]);
  });

  it("does not let a steady stream of writes delay sync beyond the max wait", async () => {
    const { loop, passes, t0 } = makeLoop();
    loop.start({ syncNow: false });
    for (let i = 0; i < 40; i++) {
      loop.request("notes", { debounce: true });
      await vi.advanceTimersByTimeAsync(200);
    }
    expect(passes.length).toBeGreaterThanOrEqual(2);
    expect(passes[0]?.at).toBe(t0 + 3_000);
  });

  it("retries a failed pass with exponential backoff capped at the maximum, and resets after success", async () => {
    const { loop, passes, state, errors, t0 } = makeLoop();
    state.failing = new NetworkError("down");
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(passes).toHaveLength(1);
    expect(loop.state).toBe("backoff");
    await vi.advanceTimersByTimeAsync(60_000);
    // Delays (random at the top of the range): 1, 2, 4, 8, 8, 8... seconds.
    const gaps = passes.slice(1).map((pass, i) => pass.at - (passes[i]?.at as number));
    expect(gaps.slice(0, 6)).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(errors.length).toBe(passes.length);

    state.failing = null;
    await vi.advanceTimersByTimeAsync(8_000);
    expect(loop.state).toBe("idle");
    const settled = passes.length;
    state.failing = new NetworkError("down again");
    loop.request("all");
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(passes.length).toBe(settled + 2);
    expect(t0).toBeLessThan(Date.now());
  });

  it("applies jitter to the backoff within its bounds", async () => {
    const { loop, passes, state } = makeLoop({ backoff: { baseMs: 1_000, maxMs: 8_000, random: () => 0 } });
    state.failing = new NetworkError("down");
    loop.start();
    await vi.advanceTimersByTimeAsync(30_000);
    const gaps = passes.slice(1).map((pass, i) => pass.at - (passes[i]?.at as number));
    expect(gaps.slice(0, 5)).toEqual([500, 1_000, 2_000, 4_000, 4_000]);
  });

  it("waits as long as a RATE_LIMITED error says", async () => {
    const limited = new SyncpoolError("RATE_LIMITED", "slow down", { retryAfterMs: 7_500 });
    const { loop, passes, state } = makeLoop({ retryAfterMs: (e) => (e as SyncpoolError).details.retryAfterMs as number });
    state.failing = limited;
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    state.failing = null;
    await vi.advanceTimersByTimeAsync(7_499);
    expect(passes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(passes).toHaveLength(2);
  });

  it("does not retry an error that retrying cannot fix, and reports it", async () => {
    const { loop, passes, state, errors } = makeLoop();
    state.failing = new SyncpoolError("LIMIT_EXCEEDED", "too big");
    loop.start();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(passes).toHaveLength(1);
    expect(errors).toEqual([state.failing]);
    expect(loop.state).toBe("idle");
  });

  it("retries TRIGGER_FAILED with backoff but not TRIGGER_REJECTED (the client's retry policy)", async () => {
    const failed = makeLoop({ isRetryable });
    failed.state.failing = new SyncpoolError("TRIGGER_FAILED", "the trigger timed out");
    failed.loop.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(failed.loop.state).toBe("backoff");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(failed.passes).toHaveLength(2);
    failed.state.failing = null;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(failed.passes).toHaveLength(3);
    expect(failed.loop.state).toBe("idle");

    const rejected = makeLoop({ isRetryable });
    rejected.state.failing = new SyncpoolError("TRIGGER_REJECTED", "the trigger said no");
    rejected.loop.start();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(rejected.passes).toHaveLength(1);
    expect(rejected.loop.state).toBe("idle");
    expect(rejected.errors).toEqual([rejected.state.failing]);
  });

  it("syncs at once when coming back online, skipping the remaining backoff", async () => {
    const { loop, passes, state } = makeLoop({ backoff: { baseMs: 30_000, maxMs: 60_000, random: () => 0.99 } });
    state.failing = new NetworkError("down");
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    loop.setOnline(false);
    state.failing = null;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(passes).toHaveLength(1);
    loop.setOnline(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(passes).toHaveLength(2);
    expect(loop.state).toBe("idle");
  });

  it("does not start timed passes while offline", async () => {
    const { loop, passes } = makeLoop({ intervalMs: 10_000 });
    loop.start({ syncNow: false });
    loop.setOnline(false);
    loop.request("a", { debounce: true });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(passes).toHaveLength(0);
    loop.setOnline(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(passes).toHaveLength(1);
  });

  it("syncs everything on the interval", async () => {
    const { loop, passes, t0 } = makeLoop({ intervalMs: 10_000 });
    loop.start({ syncNow: false });
    await vi.advanceTimersByTimeAsync(35_000);
    expect(passes.map((p) => [p.at - t0, p.target])).toEqual([
      [10_000, "all"],
      [20_000, "all"],
      [30_000, "all"],
    ]);
  });

  it("runs requests that arrive during a pass right after it, in one pass", async () => {
    let release: () => void = () => {};
    const passes: SyncTarget[] = [];
    const loop = new SyncLoop({
      runPass: (target) => {
        passes.push(target);
        return passes.length === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
      },
      isRetryable: () => true,
      intervalMs: 0,
    });
    loop.start({ syncNow: false });
    const first = loop.sync("a");
    await vi.advanceTimersByTimeAsync(0);
    const second = loop.sync("b");
    loop.request("c");
    expect(passes).toHaveLength(1);
    release();
    await first;
    await second;
    expect(passes.map((t) => (t === "all" ? "all" : [...t].sort()))).toEqual([["a"], ["b", "c"]]);
  });

  it("rejects sync() with the pass's error", async () => {
    const { loop, state } = makeLoop();
    loop.start({ syncNow: false });
    state.failing = new SyncpoolError("FORBIDDEN", "no");
    await expect(loop.sync()).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
