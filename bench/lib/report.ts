/**
 * What a scenario hands back and how a run prints it: one row per measured case with its
 * baselines (ratios are value / baseline), an optional goal from issue 8, as a console table and
 * as the Markdown table of BENCHMARKS.md.
 */
import type { LineChart } from "./svg.js";

/** One comparison point measured in the same run. */
export interface Baseline {
  name: string;
  value: number;
  p99?: number;
}

/** One measured case. */
export interface ResultRow {
  scenario: string;
  case: string;
  /** The headline number: a median for latencies. */
  value: number;
  /** p99 for latencies. */
  p99?: number;
  unit: string;
  /** Whether a smaller number is better (latency, bytes, memory) or a larger one (rates). */
  better: "lower" | "higher";
  baselines: Baseline[];
  goal?: { text: string; met: boolean };
  /** "skipped: ..." or "failed: ..." instead of a number. */
  skipped?: string;
}

/** What one scenario returns: rows for the table, details for its JSON file, charts to draw. */
export interface ScenarioResult {
  name: string;
  title: string;
  rows: ResultRow[];
  details: Record<string, unknown>;
  charts: LineChart[];
}

/** `value / baseline` as `12.3x` (two significant digits below 1). */
export function formatRatio(value: number, baseline: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) return "n/a";
  const ratio = value / baseline;
  return ratio >= 10 ? `${ratio.toFixed(0)}x` : ratio >= 1 ? `${ratio.toFixed(1)}x` : `${ratio.toPrecision(2)}x`;
}

/** A number for a table: thousands separated, 3 significant digits below 10. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toPrecision(3);
}

function valueCell(row: ResultRow): string {
  if (row.skipped) return row.skipped;
  const main = row.p99 === undefined ? formatNumber(row.value) : `${formatNumber(row.value)} / ${formatNumber(row.p99)}`;
  return `${main} ${row.unit}`;
}

function baselineCells(row: ResultRow): string[] {
  if (row.skipped) return [];
  return row.baselines.map((baseline) => {
    const value = baseline.p99 === undefined ? formatNumber(baseline.value) : `${formatNumber(baseline.value)} / ${formatNumber(baseline.p99)}`;
    const ratio = baseline.p99 !== undefined && row.p99 !== undefined ? `${formatRatio(row.value, baseline.value)} / ${formatRatio(row.p99, baseline.p99)}` : formatRatio(row.value, baseline.value);
    return `${baseline.name} ${value}: ${ratio}`;
  });
}

function goalCell(row: ResultRow): string {
  if (!row.goal) return "";
  return `${row.goal.met ? "met" : "MISSED"} (${row.goal.text})`;
}

/** The rows as a plain-text table for the console. */
export function consoleTable(rows: readonly ResultRow[]): string {
  const header = ["scenario", "case", "syncpool (median / p99)", "vs baseline: ratio", "goal"];
  const lines: string[][] = [];
  for (const row of rows) {
    const baselines = baselineCells(row);
    lines.push([row.scenario, row.case, valueCell(row), baselines[0] ?? "", goalCell(row)]);
    for (const extra of baselines.slice(1)) lines.push(["", "", "", extra, ""]);
  }
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd();
  return [format(header), widths.map((width) => "-".repeat(width)).join("  "), ...lines.map(format)].join("\n");
}

/** The rows as a Markdown table (ratios are syncpool / baseline). */
export function markdownTable(rows: readonly ResultRow[]): string {
  const escape = (text: string) => text.replace(/\|/g, "\\|");
  const out = ["| scenario | case | syncpool (median / p99) | baselines (same run): value: ratio | goal |", "|---|---|---|---|---|"];
  for (const row of rows) {
    out.push(`| ${escape(row.scenario)} | ${escape(row.case)} | ${escape(valueCell(row))} | ${escape(baselineCells(row).join("<br>"))} | ${escape(goalCell(row))} |`);
  }
  return out.join("\n");
}
