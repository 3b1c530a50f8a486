// Properties run with a fixed seed; on failure fast-check prints the seed and the counterexample
// path. Replay with: FC_SEED=<seed> npx vitest run test/unit/core-limits.test.ts
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { SyncpoolError } from "../../core/errors.js";
import {
  DEFAULT_LIMITS,
  PROTOCOL_LIMITS,
  assertDatasetName,
  assertDeviceId,
  assertMutationId,
  assertPatchCount,
  assertRecordKey,
  checkClockSkew,
  checkDatasetCount,
  checkDatasetUsage,
  recordSizeBytes,
  utf8Length,
} from "../../core/limits.js";

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20_241_122;

function errorOf(fn: () => unknown): { code: string; details: unknown; message: string } | null {
  try {
    fn();
    return null;
  } catch (error) {
    if (!(error instanceof SyncpoolError)) throw error;
    return { code: error.code, details: error.details, message: error.message };
  }
}

describe("UTF-8 sizes", () => {
  // Code units in any order, so lone and reversed surrogates appear, plus whole code points.
  const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
  const codePoint = fc.string({ unit: "binary", minLength: 1, maxLength: 1 });
  const anyText = fc.string({ unit: fc.oneof(codeUnit, codePoint), maxLength: 64 });

  it("utf8Length agrees with TextEncoder on any string, lone surrogates included", () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(anyText, (text) => {
        expect(utf8Length(text)).toBe(encoder.encode(text).length);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it("counts 1, 2, 3 and 4 byte characters", () => {
    expect(utf8Length("a")).toBe(1);
    expect(utf8Length("é")).toBe(2);
    expect(utf8Length("€")).toBe(3);
    expect(utf8Length("😀")).toBe(4);
    expect(utf8Length("\ud800")).toBe(3);
  });

  it("a record counts its key and value, a tombstone its key only", () => {
    expect(recordSizeBytes("key", "välue")).toBe(3 + 6);
    expect(recordSizeBytes("kéy", null)).toBe(4);
  });
});

describe("input rules", () => {
  it("accepts dataset names of allowed characters up to 128", () => {
    for (const name of ["a", "settings", "A-Z_0.9:x", "x".repeat(128)]) {
      expect(errorOf(() => assertDatasetName(name))).toBeNull();
    }
  });

  it.each(["", "x".repeat(129), "has space", "slash/name", "ümlaut", "new\nline"])(
    "rejects the dataset name %j naming the field",
    (name) => {
      expect(errorOf(() => assertDatasetName(name, "input.dataset"))).toMatchObject({
        code: "BAD_USER_INPUT",
        details: { field: "input.dataset" },
      });
    },
  );

  it("names the default field in each assertion", () => {
    expect(errorOf(() => assertDatasetName(""))?.details).toMatchObject({ field: "dataset" });
    expect(errorOf(() => assertDeviceId(""))?.details).toMatchObject({ field: "deviceId" });
    expect(errorOf(() => assertMutationId(""))?.details).toMatchObject({ field: "mutationId" });
    expect(errorOf(() => assertRecordKey("", "patches.3.key"))?.message).toContain("patches.3.key");
  });

  it.each([
    ["record key", assertRecordKey, PROTOCOL_LIMITS.maxKeyLength, 1024],
    ["device id", assertDeviceId, PROTOCOL_LIMITS.maxDeviceIdLength, 256],
    ["mutation id", assertMutationId, PROTOCOL_LIMITS.maxMutationIdLength, 128],
  ] as const)("a %s is accepted at exactly its limit and rejected one over", (_, assert, max, want) => {
    expect(max).toBe(want);
    expect(errorOf(() => assert("k".repeat(max), "f"))).toBeNull();
    expect(errorOf(() => assert("k".repeat(max + 1), "f"))).toMatchObject({
      code: "BAD_USER_INPUT",
      details: { field: "f", max, actual: max + 1 },
    });
    expect(errorOf(() => assert("", "f"))?.code).toBe("BAD_USER_INPUT");
  });

  it("allows 1024 patches in one push and rejects 1025", () => {
    expect(errorOf(() => assertPatchCount(1024))).toBeNull();
    expect(errorOf(() => assertPatchCount(1025))).toMatchObject({
      code: "LIMIT_EXCEEDED",
      details: { limit: "maxPatchesPerPush", max: 1024, actual: 1025 },
    });
  });
});

describe("dataset limits", () => {
  it("has Cognito Sync's defaults", () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxDatasets: 20,
      maxRecords: 1024,
      maxDatasetBytes: 1_048_576,
      maxClockSkewMs: 300_000,
    });
  });

  it("a dataset exactly at its record and byte limits is fine", () => {
    const usage = { recordCount: 1024, sizeBytes: 1_048_576 };
    expect(errorOf(() => checkDatasetUsage(usage, DEFAULT_LIMITS))).toBeNull();
  });

  it("one record over the limit is rejected with the limit named", () => {
    const usage = { recordCount: 1025, sizeBytes: 10 };
    expect(errorOf(() => checkDatasetUsage(usage, DEFAULT_LIMITS))).toMatchObject({
      code: "LIMIT_EXCEEDED",
      details: { limit: "maxRecords", max: 1024, actual: 1025 },
    });
  });

  it("one byte over the limit is rejected with the limit named", () => {
    const usage = { recordCount: 1, sizeBytes: 1_048_577 };
    expect(errorOf(() => checkDatasetUsage(usage, DEFAULT_LIMITS))).toMatchObject({
      code: "LIMIT_EXCEEDED",
      details: { limit: "maxDatasetBytes", max: 1_048_576, actual: 1_048_577 },
    });
  });

  it("follows a pool's own limits", () => {
    const limits = { ...DEFAULT_LIMITS, maxRecords: 2, maxDatasets: 1 };
    expect(errorOf(() => checkDatasetUsage({ recordCount: 3, sizeBytes: 0 }, limits))?.details)
      .toMatchObject({ limit: "maxRecords", max: 2 });
    expect(errorOf(() => checkDatasetCount(2, limits))?.details).toMatchObject({ max: 1 });
  });

  it("allows 20 datasets per identity and rejects the 21st", () => {
    expect(errorOf(() => checkDatasetCount(20, DEFAULT_LIMITS))).toBeNull();
    expect(errorOf(() => checkDatasetCount(21, DEFAULT_LIMITS))).toMatchObject({
      code: "LIMIT_EXCEEDED",
      details: { limit: "maxDatasets", max: 20, actual: 21 },
    });
  });
});

describe("clock skew", () => {
  const serverNowMs = 1_732_230_000_000;
  const clockAt = (wallMs: number) => `${String(wallMs).padStart(15, "0")}-000000-phone`;

  it("accepts a clock exactly the allowed skew ahead, and any clock behind", () => {
    const limits = DEFAULT_LIMITS;
    expect(errorOf(() => checkClockSkew(clockAt(serverNowMs + 300_000), serverNowMs, limits, "c")))
      .toBeNull();
    expect(errorOf(() => checkClockSkew(clockAt(0), serverNowMs, limits, "c"))).toBeNull();
  });

  it("rejects a clock one millisecond further ahead with the server time to correct by", () => {
    const clock = clockAt(serverNowMs + 300_001);
    expect(errorOf(() => checkClockSkew(clock, serverNowMs, DEFAULT_LIMITS, "patches.0.clock")))
      .toMatchObject({
        code: "CLOCK_SKEW",
        details: { field: "patches.0.clock", serverTime: serverNowMs, maxClockSkewMs: 300_000 },
      });
  });

  it("rejects a malformed clock as bad input naming the field", () => {
    expect(errorOf(() => checkClockSkew("soon", serverNowMs, DEFAULT_LIMITS, "patches.1.clock")))
      .toMatchObject({ code: "BAD_USER_INPUT", details: { field: "patches.1.clock" } });
  });
});

describe("well-formed text", () => {
  it("refuses a key, device id or mutation id holding a lone surrogate, which has no UTF-8 form", async () => {
    const { assertRecordKey, assertDeviceId, assertMutationId, assertWellFormed } = await import("../../core/limits.js");
    expect(() => assertRecordKey("a\uD800b", "patches[0].key")).toThrow(/lone surrogate/);
    expect(() => assertDeviceId("\uDC00", "deviceId")).toThrow(/lone surrogate/);
    expect(() => assertMutationId("x\uD83D", "mutationId")).toThrow(/lone surrogate/);
    expect(() => assertWellFormed("emoji 😀 is a proper pair", "value")).not.toThrow();
  });
});
