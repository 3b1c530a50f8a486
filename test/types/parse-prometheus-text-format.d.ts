/** Types for `parse-prometheus-text-format` (it ships none): the shape its README documents. */
declare module "parse-prometheus-text-format" {
  /** One sample; histograms and summaries carry `buckets`/`quantiles` with `count` and `sum`. */
  export interface PrometheusSample {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  /** One metric family. */
  export interface PrometheusFamily {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: PrometheusSample[];
  }
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
