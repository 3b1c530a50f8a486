// Properties run with a fixed seed; on failure fast-check prints the seed and the counterexample
// path. Replay with: FC_SEED=<seed> npx vitest run test/unit/core-clock.test.ts
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  HybridClock,
  MAX_CLOCK_COUNTER,
  compareClocks,
  formatClock,
  isClock,
  maxClock,
  parseClock,
  receiveClock,
  tickClock,
  wallMsOf,
  type Hlc,
} from "../../core/clock.js";
import { SyncpoolError } from "../../core/errors.js";

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20_241_122;
const numRuns = 500;

const deviceIdArb = fc.string({ minLength: 1, maxLength: 20, unit: "binary" });
const hlcArb: fc.Arbitrary<Hlc> = fc.record({
  wallMs: fc.integer({ min: 0, max: 99_999_999_999_999 }),
  counter: fc.integer({ min: 0, max: MAX_CLOCK_COUNTER }),
  deviceId: deviceIdArb,
});

function numericOrder(a: Hlc, b: Hlc): number {
  return (
    Math.sign(a.wallMs - b.wallMs) ||
    Math.sign(a.counter - b.counter) ||
    (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0)
  );
}

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error instanceof SyncpoolError ? { code: error.code, details: error.details } : error;
  }
  return "no error";
}

describe("clock text", () => {
  it("formats as zero-padded wall time, counter and device id", () => {
    expect(formatClock({ wallMs: 1_732_230_000_000, counter: 3, deviceId: "phone-1" })).toBe(
      "001732230000000-000003-phone-1",
    );
  });

  it("parses a device id that contains dashes", () => {
    expect(parseClock("001732230000000-000003-phone-1-a")).toEqual({
      wallMs: 1_732_230_000_000,
      counter: 3,
      deviceId: "phone-1-a",
    });
  });

  it("round-trips every clock through its text", () => {
    fc.assert(
      fc.property(hlcArb, (h) => {
        expect(parseClock(formatClock(h))).toEqual(h);
      }),
      { seed, numRuns },
    );
  });

  it("sorts as text exactly as it sorts by (wallMs, counter, deviceId)", () => {
    fc.assert(
      fc.property(hlcArb, hlcArb, (a, b) => {
        expect(compareClocks(formatClock(a), formatClock(b))).toBe(numericOrder(a, b));
      }),
      { seed, numRuns },
    );
  });

  it("compares by code unit, not by locale", () => {
    // localeCompare puts "a" before "B"; code-unit order puts "B" (0x42) first.
    expect(compareClocks("000000000000001-000000-B", "000000000000001-000000-a")).toBe(-1);
    expect(maxClock("000000000000001-000000-B", "000000000000001-000000-a")).toBe(
      "000000000000001-000000-a",
    );
  });

  it.each([
    ["", "empty"],
    ["1732230000000-000003-phone", "short wall time"],
    ["001732230000000-03-phone", "short counter"],
    ["001732230000000-000003-", "empty device id"],
    ["001732230000000-000003", "missing device id"],
    ["00173223000000x-000003-phone", "non-digit"],
    [`001732230000000-000003-${"d".repeat(257)}`, "device id over 256"],
  ])("rejects %j (%s) with BAD_USER_INPUT naming the field", (text) => {
    expect(isClock(text)).toBe(false);
    expect(codeOf(() => parseClock(text, "patches.0.clock"))).toEqual({
      code: "BAD_USER_INPUT",
      details: { field: "patches.0.clock" },
    });
  });

  it("accepts a device id of exactly 256 characters", () => {
    expect(isClock(`001732230000000-000003-${"d".repeat(256)}`)).toBe(true);
  });

  it("refuses to format parts that would break the fixed width", () => {
    expect(codeOf(() => formatClock({ wallMs: -1, counter: 0, deviceId: "d" }))).toMatchObject({
      code: "BAD_USER_INPUT",
    });
    expect(
      codeOf(() => formatClock({ wallMs: 0, counter: MAX_CLOCK_COUNTER + 1, deviceId: "d" })),
    ).toMatchObject({ code: "BAD_USER_INPUT" });
    expect(codeOf(() => formatClock({ wallMs: 1.5, counter: 0, deviceId: "d" }))).toMatchObject({
      code: "BAD_USER_INPUT",
    });
  });

  it("reads the wall time of a clock for skew checks", () => {
    expect(wallMsOf("001732230000000-000003-phone-1")).toBe(1_732_230_000_000);
  });
});

describe("hybrid logical clock steps", () => {
  it("a first tick uses the wall time and counter zero", () => {
    expect(tickClock(null, 1000, "d")).toEqual({ wallMs: 1000, counter: 0, deviceId: "d" });
  });

  it("ticks stay monotonic when the wall clock stalls or goes backwards", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 50 }), (nows) => {
        let last: Hlc | null = null;
        for (const now of nows) {
          const next = tickClock(last, now, "d");
          if (last !== null) expect(compareClocks(formatClock(next), formatClock(last))).toBe(1);
          expect(next.wallMs).toBeGreaterThanOrEqual(now);
          last = next;
        }
      }),
      { seed, numRuns },
    );
  });

  it("a clock received from a device ahead of us moves our clock past it", () => {
    const ahead: Hlc = { wallMs: 5000, counter: 7, deviceId: "other" };
    const ours = receiveClock({ wallMs: 1000, counter: 0, deviceId: "me" }, ahead, 1200, "me");
    expect(ours).toEqual({ wallMs: 5000, counter: 8, deviceId: "me" });
    expect(compareClocks(formatClock(tickClock(ours, 1300, "me")), formatClock(ahead))).toBe(1);
  });

  it("a received clock is greater than both our last clock and the remote one", () => {
    fc.assert(
      fc.property(
        fc.option(hlcArb, { nil: null }),
        hlcArb,
        fc.integer({ min: 0, max: 99_999_999_999_999 }),
        (last, remote, now) => {
          const next = formatClock(receiveClock(last, remote, now, "me"));
          expect(compareClocks(next, formatClock(remote))).toBe(1);
          if (last !== null) expect(compareClocks(next, formatClock(last))).toBe(1);
        },
      ),
      { seed, numRuns },
    );
  });

  it("a counter past 999999 carries into the wall time and keeps the text fixed width", () => {
    const full: Hlc = { wallMs: 1000, counter: MAX_CLOCK_COUNTER, deviceId: "d" };
    const ticked = tickClock(full, 1000, "d");
    expect(ticked).toEqual({ wallMs: 1001, counter: 0, deviceId: "d" });
    expect(formatClock(ticked)).toHaveLength(formatClock(full).length);
    expect(compareClocks(formatClock(ticked), formatClock(full))).toBe(1);
    expect(receiveClock(null, full, 0, "me")).toEqual({ wallMs: 1001, counter: 0, deviceId: "me" });
  });
});

describe("HybridClock", () => {
  it("issues increasing clocks while time stands still", () => {
    const clock = new HybridClock("tab-1", () => 42);
    const issued = [clock.tick(), clock.tick(), clock.tick()];
    expect(issued).toEqual([...issued].sort(compareClocks));
    expect(new Set(issued).size).toBe(3);
    expect(clock.last).toEqual({ wallMs: 42, counter: 2, deviceId: "tab-1" });
  });

  it("writes after receiving a future clock order after it", () => {
    const clock = new HybridClock("laptop", () => 1000);
    const remote = "000000000009000-000004-phone";
    clock.receive(remote);
    expect(compareClocks(clock.tick(), remote)).toBe(1);
  });

  it("resumes from a persisted clock instead of reissuing older ones", () => {
    const persisted: Hlc = { wallMs: 9000, counter: 1, deviceId: "laptop" };
    const clock = new HybridClock("laptop", () => 1000, persisted);
    expect(clock.tick()).toBe("000000000009000-000002-laptop");
  });

  it("rejects a malformed received clock and an invalid device id", () => {
    const clock = new HybridClock("laptop", () => 1000);
    expect(codeOf(() => clock.receive("yesterday"))).toMatchObject({ code: "BAD_USER_INPUT" });
    expect(codeOf(() => new HybridClock(""))).toMatchObject({ code: "BAD_USER_INPUT" });
  });
});
