/**
 * The device's hybrid logical clock, with a correction for a device whose wall clock runs ahead
 * of the server's. The server refuses clocks too far ahead of its time (CLOCK_SKEW, with its
 * `serverTime`); `correct(serverTime)` then shifts this clock's notion of "now" by the measured
 * offset and restarts it from the latest clock received from the server, so the writes re-stamped
 * next are accepted and still order after everything this device has seen from others.
 */
import { formatClock, HybridClock, maxClock, parseClock, type Hlc } from "../core/clock.js";
import type { WriteClock } from "./store/local-write.js";

export class DeviceClock implements WriteClock {
  #clock: HybridClock;
  #offsetMs = 0;
  #maxReceived: string | null = null;
  readonly #deviceId: string;
  readonly #wallNow: () => number;

  constructor(deviceId: string, wallNow: () => number, last: string | null) {
    this.#deviceId = deviceId;
    this.#wallNow = wallNow;
    this.#clock = new HybridClock(deviceId, () => this.now(), last ? parseClock(last) : null);
  }

  /** Wall time corrected by the offset measured against the server. */
  now(): number {
    return this.#wallNow() + this.#offsetMs;
  }

  tick(): string {
    return this.#clock.tick();
  }

  receive(clock: string): void {
    this.#clock.receive(clock);
    this.#maxReceived = this.#maxReceived ? maxClock(this.#maxReceived, clock) : clock;
  }

  get last(): Hlc | null {
    return this.#clock.last;
  }

  /** Adopts the server's time after a CLOCK_SKEW refusal (see the module comment). */
  correct(serverTimeMs: number): void {
    this.#offsetMs = Math.min(0, serverTimeMs - this.#wallNow());
    const restart: Hlc = { wallMs: Math.max(0, Math.floor(serverTimeMs)), counter: 0, deviceId: this.#deviceId };
    const received = this.#maxReceived ? parseClock(this.#maxReceived) : null;
    const from = received && formatClock(received) > formatClock(restart) ? received : restart;
    this.#clock = new HybridClock(this.#deviceId, () => this.now(), from);
  }
}
