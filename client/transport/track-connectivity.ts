/**
 * Connectivity, as the client learns it: `trackConnectivity` wraps a transport to notice when the
 * server becomes unreachable or reachable again (a `NetworkError` reports offline, any answer
 * from the server, even an error verdict, reports online), and
 * `listenToPlatform` hears the browser's `online` and `offline` events.
 */
import { isBadEndpointError } from "./bad-endpoint-error.js";
import { isNetworkError } from "./network-error.js";
import type { Transport } from "./transport.js";

/**
 * What the client last told the app about the network: `online`/`offline` are emitted on a change
 * only, whoever reports it (the platform, the app through `setOnline`, or the transport).
 */
export class Reachability {
  #online = true;
  /** Bumped on every change, so a verdict from a call started before it is known to be stale. */
  #epoch = 0;
  readonly #onChange: (online: boolean) => void;

  constructor(onChange: (online: boolean) => void) {
    this.#onChange = onChange;
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** A new fact; `startedAt` (an epoch) marks a call's verdict, dropped if the state changed since the call began. */
  report(online: boolean, startedAt = this.#epoch): void {
    if (startedAt !== this.#epoch || online === this.#online) return;
    this.#online = online;
    this.#epoch += 1;
    this.#onChange(online);
  }
}

/** `transport` with every call reporting reachability; a call that outlives a change of state says nothing. */
export function trackConnectivity(transport: Transport, reachability: Reachability): Transport {
  const wrap =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const startedAt = reachability.epoch;
      const report = (online: boolean) => reachability.report(online, startedAt);
      try {
        const result = await call(...args);
        report(true);
        return result;
      } catch (error) {
        // A wrong endpoint says nothing about the network: neither online nor offline.
        if (!isBadEndpointError(error)) report(!isNetworkError(error));
        throw error;
      }
    };
  return {
    signIn: wrap(transport.signIn.bind(transport)),
    records: wrap(transport.records.bind(transport)),
    ...(transport.changes ? { changes: wrap(transport.changes.bind(transport)) } : {}),
    pushRecords: wrap(transport.pushRecords.bind(transport)),
    datasets: wrap(transport.datasets.bind(transport)),
    configureDataset: wrap(transport.configureDataset.bind(transport)),
    deleteDataset: wrap(transport.deleteDataset.bind(transport)),
    usage: wrap(transport.usage.bind(transport)),
  };
}

/**
 * Calls `onChange` on the platform's `online`/`offline` events; returns the function that stops.
 * Browsers have them; Node does not, and the client relies on retries there.
 */
export function listenToPlatform(onChange: (online: boolean) => void): () => void {
  const target = globalThis as unknown as Partial<Pick<EventTarget, "addEventListener" | "removeEventListener">>;
  if (typeof target.addEventListener !== "function" || typeof target.removeEventListener !== "function") return () => {};
  const online = () => onChange(true);
  const offline = () => onChange(false);
  target.addEventListener("online", online);
  target.addEventListener("offline", offline);
  return () => {
    target.removeEventListener?.("online", online);
    target.removeEventListener?.("offline", offline);
  };
}
