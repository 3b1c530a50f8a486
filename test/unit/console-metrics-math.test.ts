/**
 * The console's reading of `/metrics` (`console/src/prometheus-text.ts`): samples with escaped
 * labels, and quantiles between two scrapes as Prometheus's histogram_quantile computes them.
 */
import { describe, expect, it } from "vitest";
import { buckets, parsePrometheusText, quantileBetween, total } from "../../console/src/prometheus-text.js";

const BEFORE = `# HELP syncpool_push_duration_seconds Time to answer pushRecords.
# TYPE syncpool_push_duration_seconds histogram
syncpool_push_duration_seconds_bucket{le="0.01"} 10
syncpool_push_duration_seconds_bucket{le="0.1"} 10
syncpool_push_duration_seconds_bucket{le="+Inf"} 10
syncpool_push_duration_seconds_count 10
syncpool_live_connections{transport="websocket"} 3
syncpool_live_connections{transport="sse"} 2
syncpool_stream_consumer_lag_events{consumer="a \\"quoted\\" name",shard="p/1"} 7
`;
// Ten more pushes: nine at most 10 ms, one between 10 and 100 ms.
const AFTER = BEFORE.replace('le="0.01"} 10', 'le="0.01"} 19').replace('le="0.1"} 10', 'le="0.1"} 20').replace('le="+Inf"} 10', 'le="+Inf"} 20');

describe("console metrics reading", () => {
  it("sums samples by name and labels, unescaping label values", () => {
    const samples = parsePrometheusText(BEFORE);
    expect(total(samples, "syncpool_live_connections")).toBe(5);
    expect(total(samples, "syncpool_live_connections", { transport: "sse" })).toBe(2);
    expect(total(samples, "syncpool_stream_consumer_lag_events", { consumer: 'a "quoted" name' })).toBe(7);
  });

  it("takes quantiles of only the observations between two scrapes, interpolated within a bucket", () => {
    const before = buckets(parsePrometheusText(BEFORE), "syncpool_push_duration_seconds");
    const after = buckets(parsePrometheusText(AFTER), "syncpool_push_duration_seconds");
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.01 * (5 / 9), 6);
    expect(quantileBetween(before, after, 0.99)).toBeCloseTo(0.01 + 0.09 * ((9.9 - 9) / 1), 6);
  });

  it("answers null when nothing was observed between the scrapes", () => {
    const same = buckets(parsePrometheusText(BEFORE), "syncpool_push_duration_seconds");
    expect(quantileBetween(same, same, 0.99)).toBeNull();
  });
});
