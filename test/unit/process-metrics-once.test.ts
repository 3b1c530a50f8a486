/**
 * Node's default metrics describe the process, so a process that starts many servers (instances
 * side by side, test files) keeps one set of them: each set runs an event-loop delay monitor and
 * a GC observer that nothing can stop, and one per server accumulated for the life of the process.
 * prom-client reaches `monitorEventLoopDelay` through `require("perf_hooks")`, the object spied on here.
 */
import { createRequire } from "node:module";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createSyncpoolMetrics, type MetricSources } from "../../server/metrics/syncpool-metrics.js";

const perfHooks = createRequire(import.meta.url)("node:perf_hooks") as typeof import("node:perf_hooks");
const sources: MetricSources = {
  liveConnections: () => ({ websocket: 0, sse: 0 }),
  consumers: () => [],
  connectionStats: () => null,
};

describe("the process's default metrics", () => {
  afterEach(() => vi.restoreAllMocks());

  it("are made once per process however many servers it builds, and every server renders them", async () => {
    const first = createSyncpoolMetrics(sources);
    const monitors = vi.spyOn(perfHooks, "monitorEventLoopDelay");
    const others = [createSyncpoolMetrics(sources), createSyncpoolMetrics(sources)];
    expect(monitors).not.toHaveBeenCalled();
    for (const metrics of [first, ...others]) expect(await metrics.render()).toContain("syncpool_nodejs_eventloop_lag_seconds");
  });

  it("are rendered beside each server's own counts, which stay its own", async () => {
    const [one, other] = [createSyncpoolMetrics(sources), createSyncpoolMetrics(sources)];
    one.recordRequest("datasets", "OK");
    expect(await one.render()).toContain('syncpool_graphql_requests_total{operation="datasets",code="OK"} 1');
    expect(await other.render()).not.toContain('operation="datasets"');
  });
});
