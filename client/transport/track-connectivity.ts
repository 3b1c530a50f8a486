/**
 * Connectivity, as the client learns it: `trackConnectivity` wraps a transport to notice when the
 * server becomes unreachable or reachable again (a `NetworkError` reports offline, any answer
 * from the server, even an error verdict, reports online; only transitions are reported), and
 * `listenToPlatform` hears the browser's `online` and `offline` events.
 */
import { isBadEndpointError } from "./bad-endpoint-error.js";
import { isNetworkError } from "./network-error.js";
import type { Transport } from "./transport.js";

/** `transport` with every call reporting reachability to `onChange`. */
export function trackConnectivity(transport: Transport, onChange: (online: boolean) => void): Transport {
  let online: boolean | null = null;
  const report = (next: boolean) => {
    if (next === online) return;
    const first = online === null;
    online = next;
    // The first answer only sets the baseline; being online at start is not news.
    if (!first || !next) onChange(next);
  };
  const wrap =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
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
