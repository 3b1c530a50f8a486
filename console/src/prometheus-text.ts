/**
 * Reads the Prometheus text format into samples, enough for the charts: `name{labels} value`
 * lines, comments skipped. Label values are unescaped (`\\`, `\"`, `\n`).
 */

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample of `text`. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? "").matchAll(LABEL)) labels[name!] = value!.replace(/\\(.)/g, (_all, char: string) => (char === "n" ? "\n" : char));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of `name`'s samples whose labels include `labels`. */
export function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value)).reduce((sum, sample) => sum + sample.value, 0);
}

/** A histogram's cumulative buckets (`le` -> count), upper bounds ascending. */
export function buckets(samples: Sample[], histogram: string): Array<[number, number]> {
  return samples
    .filter((sample) => sample.name === `${histogram}_bucket`)
    .map((sample): [number, number] => [sample.labels["le"] === "+Inf" ? Infinity : Number(sample.labels["le"]), sample.value])
    .sort((a, b) => a[0] - b[0]);
}

/**
 * The q-quantile of the observations between two scrapes (bucket counts subtracted), linearly
 * interpolated within its bucket as Prometheus's histogram_quantile does; null without observations.
 */
export function quantileBetween(before: Array<[number, number]>, after: Array<[number, number]>, q: number): number | null {
  const counts = after.map(([bound, count], index): [number, number] => [bound, count - (before[index]?.[1] ?? 0)]);
  const observed = counts.at(-1)?.[1] ?? 0;
  if (observed <= 0) return null;
  const rank = q * observed;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of counts) {
    if (count >= rank) {
      if (bound === Infinity) return lowerBound;
      return lowerBound + (bound - lowerBound) * ((rank - lowerCount) / Math.max(1, count - lowerCount));
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}
