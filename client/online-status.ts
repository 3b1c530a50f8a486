/**
 * Whether the client is online. The platform (`online`/`offline` events), the app
 * (`client.setOnline`) and the transport (a request that failed or got through) all report;
 * `online`/`offline` events are emitted on a change only.
 */
import type { Emitter } from "./events.js";

/** See the module comment. */
export class OnlineStatus {
  /** What the platform or the app last said; an identity signing in starts with it. */
  #online = true;
  /** The last `online`/`offline` event emitted. */
  #announced = true;

  constructor(private readonly emitter: Emitter) {}

  /** What the platform or the app last said. */
  get online(): boolean {
    return this.#online;
  }

  /** Records what the platform or the app says; false when it said so already (nothing to do). */
  report(online: boolean): boolean {
    if (online === this.#online) return false;
    this.#online = online;
    return true;
  }

  /** Emits `online`/`offline` when it differs from the last one emitted. */
  announce(online: boolean): void {
    if (online === this.#announced) return;
    this.#announced = online;
    this.emitter.emit(online ? "online" : "offline", {});
  }
}
