/**
 * Live charts from `/metrics` (the server must run with SYNCPOOL_METRICS=admin or on): pushes per
 * second, push latency p50 and p99 from the histogram, live connections, sign-ins per second.
 * Rates and quantiles are taken between two scrapes, as Prometheus's rate() would.
 */
import { h } from "./dom.js";
import { lineChart } from "./line-chart.js";
import type { ConsolePage } from "./nav.js";
import { buckets, parsePrometheusText, quantileBetween, total, type Sample } from "./prometheus-text.js";

/** Time between scrapes. */
const SCRAPE_MS = 2000;

/** The live charts page (see the module comment). */
export const chartsPage: ConsolePage = {
  id: "charts",
  title: "Live metrics",
  render(container, api, showError) {
    const perSecond = (value: number) => `${value.toFixed(2)}/s`;
    const millis = (value: number) => `${(value * 1000).toFixed(1)} ms`;
    const charts = {
      pushes: lineChart("chart-pushes", "Pushes", perSecond),
      p50: lineChart("chart-p50", "Push latency p50", millis),
      p99: lineChart("chart-p99", "Push latency p99", millis),
      connections: lineChart("chart-connections", "Live connections", (value) => value.toFixed(0)),
      signIns: lineChart("chart-sign-ins", "Sign-ins", perSecond),
    };
    container.append(h("div", { class: "charts" }, ...Object.values(charts).map((chart) => chart.element)));

    let previous: { at: number; samples: Sample[] } | null = null;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const scrape = async () => {
      try {
        const samples = parsePrometheusText(await api.metrics());
        const at = performance.now();
        charts.connections.push(total(samples, "syncpool_live_connections"));
        if (previous) {
          const seconds = (at - previous.at) / 1000;
          const rate = (name: string) => Math.max(0, total(samples, name) - total(previous!.samples, name)) / seconds;
          charts.pushes.push(rate("syncpool_push_duration_seconds_count"));
          charts.signIns.push(rate("syncpool_sign_ins_total"));
          const before = buckets(previous.samples, "syncpool_push_duration_seconds");
          const after = buckets(samples, "syncpool_push_duration_seconds");
          charts.p50.push(quantileBetween(before, after, 0.5));
          charts.p99.push(quantileBetween(before, after, 0.99));
        }
        previous = { at, samples };
      } catch (error) {
        showError(error);
      }
      if (!stopped) timer = setTimeout(() => void scrape(), SCRAPE_MS);
    };
    void scrape();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  },
};
