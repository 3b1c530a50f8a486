/**
 * Hybrid logical clocks (Kulkarni et al., "Logical Physical Clocks", 2014).
 *
 * Every write carries a clock; a STRING record keeps the write with the greatest one. A hybrid
 * clock stays close to wall time (so "last writer" means what people expect) yet never goes
 * backwards and always moves past any clock it has seen, even when device clocks disagree.
 *
 * The textual form `<wallMs: 15 digits>-<counter: 6 digits>-<deviceId>` is fixed width up to the
 * device id, so plain string comparison of two clocks is clock order. That lets storage index and
 * compare clocks as strings. Everything here is pure: time and device ids come in as arguments.
 */
import { SyncpoolError } from "./errors.js";

/** A parsed clock: wall time in epoch ms, a counter for events within one ms, and the writer. */
export interface Hlc {
  wallMs: number;
  counter: number;
  deviceId: string;
}

/** Largest wall time the 15-digit field holds (about the year 33658). */
export const MAX_CLOCK_WALL_MS = 999_999_999_999_999;
/** Largest counter the 6-digit field holds; one more carries into `wallMs`. */
export const MAX_CLOCK_COUNTER = 999_999;
/** Longest device id in UTF-16 code units; `PROTOCOL_LIMITS.maxDeviceIdLength` is this value. */
export const MAX_DEVICE_ID_LENGTH = 256;

// 15 digits, '-', 6 digits, '-', then the device id (which may contain '-' or anything else).
const CLOCK_PATTERN = /^(\d{15})-(\d{6})-([\s\S]+)$/;

function badClock(field: string, message: string): SyncpoolError {
  return new SyncpoolError("BAD_USER_INPUT", `${field}: ${message}`, { field });
}

function checkParts(h: Hlc, field: string): void {
  if (!Number.isSafeInteger(h.wallMs) || h.wallMs < 0 || h.wallMs > MAX_CLOCK_WALL_MS) {
    throw badClock(field, `wall time must be an integer from 0 to ${MAX_CLOCK_WALL_MS}`);
  }
  if (!Number.isSafeInteger(h.counter) || h.counter < 0 || h.counter > MAX_CLOCK_COUNTER) {
    throw badClock(field, `counter must be an integer from 0 to ${MAX_CLOCK_COUNTER}`);
  }
  if (h.deviceId.length < 1 || h.deviceId.length > MAX_DEVICE_ID_LENGTH) {
    throw badClock(field, `device id must be 1 to ${MAX_DEVICE_ID_LENGTH} characters`);
  }
}

/**
 * The textual form of a clock, e.g. `001732230000000-000003-phone-1`.
 * Throws BAD_USER_INPUT (field `clock`) when a part is out of range, since the text would then
 * no longer sort in clock order.
 */
export function formatClock(h: Hlc): string {
  checkParts(h, "clock");
  return `${String(h.wallMs).padStart(15, "0")}-${String(h.counter).padStart(6, "0")}-${h.deviceId}`;
}

/**
 * Parses the textual form. Throws `SyncpoolError('BAD_USER_INPUT')` with details `{field}` when
 * `text` is not a well-formed clock; `field` names the input in the message (default `clock`).
 */
export function parseClock(text: string, field = "clock"): Hlc {
  const match = CLOCK_PATTERN.exec(text);
  if (match === null) {
    throw badClock(field, "expected <wallMs: 15 digits>-<counter: 6 digits>-<deviceId>");
  }
  const h: Hlc = { wallMs: Number(match[1]), counter: Number(match[2]), deviceId: match[3] ?? "" };
  checkParts(h, field);
  return h;
}

/** True when `text` is a well-formed clock (what `parseClock` accepts). */
export function isClock(text: unknown): boolean {
  if (typeof text !== "string") return false;
  const match = CLOCK_PATTERN.exec(text);
  return match !== null && (match[3]?.length ?? 0) <= MAX_DEVICE_ID_LENGTH;
}

/**
 * Orders two clocks in textual form: plain UTF-16 code-unit comparison, which for well-formed
 * clocks is (wallMs, counter, deviceId) order. Deliberately not `localeCompare`, whose order
 * depends on the runtime's locale data and would let replicas disagree.
 */
export function compareClocks(a: string, b: string): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The later of two clocks in textual form. */
export function maxClock(a: string, b: string): string {
  return compareClocks(a, b) >= 0 ? a : b;
}

/** The wall time of a clock in textual form, for skew checks. Throws BAD_USER_INPUT if malformed. */
export function wallMsOf(clock: string): number {
  return parseClock(clock).wallMs;
}

// Keeps the text fixed width: a counter past its 6 digits carries into the wall time.
function carry(wallMs: number, counter: number, deviceId: string): Hlc {
  return counter > MAX_CLOCK_COUNTER
    ? { wallMs: wallMs + 1, counter: 0, deviceId }
    : { wallMs, counter, deviceId };
}

/**
 * The clock of a local event (a write): the wall time `nowMs` when it is ahead of `last`,
 * otherwise `last` with the counter bumped. The result is always greater than `last`.
 * `last` is this device's previous clock, or null for its first event.
 */
export function tickClock(last: Hlc | null, nowMs: number, deviceId: string): Hlc {
  const wallMs = Math.max(last?.wallMs ?? -1, Math.floor(nowMs));
  const counter = last !== null && wallMs === last.wallMs ? last.counter + 1 : 0;
  return carry(wallMs, counter, deviceId);
}

/**
 * Folds in a clock seen from elsewhere (a pulled record, a push answer). The result is greater
 * than both `last` and `remote`, so this device's next write orders after everything it has
 * seen, even when its own wall clock is behind.
 */
export function receiveClock(last: Hlc | null, remote: Hlc, nowMs: number, deviceId: string): Hlc {
  const lastWallMs = last?.wallMs ?? -1;
  const wallMs = Math.max(lastWallMs, remote.wallMs, Math.floor(nowMs));
  let counter: number;
  if (wallMs === lastWallMs && wallMs === remote.wallMs) {
    counter = Math.max(last?.counter ?? 0, remote.counter) + 1;
  } else if (wallMs === lastWallMs) {
    counter = (last?.counter ?? 0) + 1;
  } else if (wallMs === remote.wallMs) {
    counter = remote.counter + 1;
  } else {
    counter = 0;
  }
  return carry(wallMs, counter, deviceId);
}

/**
 * A device's clock as a small stateful object: `tick()` stamps a local write, `receive()` folds
 * in a clock seen from elsewhere. `now` is injectable for tests; `last` restores a persisted
 * clock so a restarted app never reissues an old clock.
 */
export class HybridClock {
  #last: Hlc | null;

  constructor(
    readonly deviceId: string,
    private readonly now: () => number = Date.now,
    last: Hlc | null = null,
  ) {
    // Validates the device id once, up front, rather than at the first write.
    formatClock({ wallMs: 0, counter: 0, deviceId });
    this.#last = last;
  }

  /** Stamps a local event and returns its clock in textual form. */
  tick(): string {
    this.#last = tickClock(this.#last, this.now(), this.deviceId);
    return formatClock(this.#last);
  }

  /** Folds in a clock (textual form) seen from elsewhere. Throws BAD_USER_INPUT if malformed. */
  receive(clock: string): void {
    this.#last = receiveClock(this.#last, parseClock(clock), this.now(), this.deviceId);
  }

  /** The latest clock issued or received, to persist; null before the first event. */
  get last(): Hlc | null {
    return this.#last;
  }
}
