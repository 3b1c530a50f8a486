/**
 * Limits and input rules both sides enforce: the server at its boundary (authoritative), the
 * client before queueing a write (so an app learns of a breach at once and with the same code).
 * Every check throws `SyncpoolError` with details naming the field or the limit; lengths are in
 * UTF-16 code units (`String.length`), sizes in UTF-8 bytes.
 */
import { MAX_DEVICE_ID_LENGTH, parseClock } from "./clock.js";
import { SyncpoolError } from "./errors.js";
import type { Limits } from "./types.js";

/** Per-pool limits unless a pool sets its own (Cognito Sync's values). */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxDatasets: 20,
  maxRecords: 1024,
  maxDatasetBytes: 1_048_576,
  maxClockSkewMs: 300_000,
});

/** Limits fixed by the protocol, the same for every pool. */
export const PROTOCOL_LIMITS = Object.freeze({
  maxPatchesPerPush: 1024,
  maxKeyLength: 1024,
  maxDeviceIdLength: MAX_DEVICE_ID_LENGTH,
  maxMutationIdLength: 128,
  maxDatasetNameLength: 128,
} as const);

/** What a dataset name may be: 1-128 of letters, digits and `_ . : -`. */
export const DATASET_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * The UTF-8 length of `text` without encoding it (no allocation). A surrogate pair counts 4
 * bytes; a lone surrogate counts 3, as `TextEncoder` writes it as U+FFFD.
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      bytes += 1;
    } else if (code < 0x800) {
      bytes += 2;
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

/**
 * What one record counts against `maxDatasetBytes`: UTF-8 bytes of key plus value. A tombstone
 * (`value` null) counts its key only. A YDOC value counts its base64 text, as stored.
 */
export function recordSizeBytes(key: string, value: string | null): number {
  return utf8Length(key) + (value === null ? 0 : utf8Length(value));
}

function badInput(field: string, message: string, details: Record<string, unknown> = {}) {
  return new SyncpoolError("BAD_USER_INPUT", `${field}: ${message}`, { field, ...details });
}

function assertLength(value: string, field: string, max: number): void {
  if (value.length < 1 || value.length > max) {
    throw badInput(field, `must be 1 to ${max} characters, got ${value.length}`, {
      max,
      actual: value.length,
    });
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Throws BAD_USER_INPUT when `text` holds a lone UTF-16 surrogate. Such text has no UTF-8 form:
 * storage would turn it into U+FFFD, so two different keys could become one and a value would not
 * read back as written.
 */
export function assertWellFormed(text: string, field: string): void {
  if (LONE_SURROGATE.test(text)) {
    throw badInput(field, "must be well-formed Unicode (it holds a lone surrogate)");
  }
}

/** Throws BAD_USER_INPUT unless `name` matches `DATASET_NAME_PATTERN`. */
export function assertDatasetName(name: string, field = "dataset"): void {
  if (!DATASET_NAME_PATTERN.test(name)) {
    throw badInput(field, "dataset names are 1 to 128 characters of A-Z a-z 0-9 _ . : -");
  }
}

/** Throws BAD_USER_INPUT unless `key` is 1 to 1024 characters. */
export function assertRecordKey(key: string, field = "key"): void {
  assertLength(key, field, PROTOCOL_LIMITS.maxKeyLength);
  assertWellFormed(key, field);
}

/** Throws BAD_USER_INPUT unless `id` is 1 to 256 characters. */
export function assertDeviceId(id: string, field = "deviceId"): void {
  assertLength(id, field, PROTOCOL_LIMITS.maxDeviceIdLength);
  assertWellFormed(id, field);
}

/** Throws BAD_USER_INPUT unless `id` is 1 to 128 characters. */
export function assertMutationId(id: string, field = "mutationId"): void {
  assertLength(id, field, PROTOCOL_LIMITS.maxMutationIdLength);
  assertWellFormed(id, field);
}

function limitExceeded(limit: string, max: number, actual: number, what: string): SyncpoolError {
  return new SyncpoolError("LIMIT_EXCEEDED", `${what}: ${actual} exceeds the limit of ${max}`, {
    limit,
    max,
    actual,
  });
}

/** Throws LIMIT_EXCEEDED (`limit: "maxPatchesPerPush"`) when a push carries over 1024 patches. */
export function assertPatchCount(count: number): void {
  const max = PROTOCOL_LIMITS.maxPatchesPerPush;
  if (count > max) throw limitExceeded("maxPatchesPerPush", max, count, "patches in one push");
}

/**
 * Checks a dataset's usage as it would be after a push: throws LIMIT_EXCEEDED with
 * `limit: "maxRecords"` or `"maxDatasetBytes"` when a count is over its limit. Exactly at the
 * limit is allowed. `recordCount` counts live records; `sizeBytes` sums `recordSizeBytes`.
 */
export function checkDatasetUsage(
  usage: { recordCount: number; sizeBytes: number },
  limits: Limits,
): void {
  if (usage.recordCount > limits.maxRecords) {
    throw limitExceeded("maxRecords", limits.maxRecords, usage.recordCount, "records in dataset");
  }
  if (usage.sizeBytes > limits.maxDatasetBytes) {
    throw limitExceeded("maxDatasetBytes", limits.maxDatasetBytes, usage.sizeBytes, "dataset bytes");
  }
}

/** Throws LIMIT_EXCEEDED (`limit: "maxDatasets"`) when an identity would hold too many datasets. */
export function checkDatasetCount(count: number, limits: Limits): void {
  if (count > limits.maxDatasets) {
    throw limitExceeded("maxDatasets", limits.maxDatasets, count, "datasets for identity");
  }
}

/**
 * Rejects a write clock whose wall time is more than `maxClockSkewMs` ahead of the server's
 * clock, so one device with a clock set to the future cannot win every conflict forever.
 * Throws CLOCK_SKEW with `{field, serverTime, maxClockSkewMs}` (the client can correct its clock
 * from `serverTime` and retry), or BAD_USER_INPUT naming `field` when the clock is malformed.
 * Clocks behind the server are fine: offline devices write in the past.
 */
export function checkClockSkew(
  clock: string,
  serverNowMs: number,
  limits: Limits,
  field: string,
): void {
  const { wallMs } = parseClock(clock, field);
  if (wallMs - serverNowMs > limits.maxClockSkewMs) {
    throw new SyncpoolError(
      "CLOCK_SKEW",
      `${field}: clock is ${wallMs - serverNowMs} ms ahead of the server ` +
        `(at most ${limits.maxClockSkewMs})`,
      { field, serverTime: serverNowMs, maxClockSkewMs: limits.maxClockSkewMs },
    );
  }
}
