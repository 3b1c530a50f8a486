/**
 * Wraps a transport to notice when the server becomes unreachable or reachable again: a
 * `NetworkError` reports offline, any answer from the server (even an error verdict) reports
 * online. Only transitions are reported.
 */
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
        report(!isNetworkError(error));
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
