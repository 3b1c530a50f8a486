/**
 * The performance goals of issue 19, each read from the rows of the same run: the measured value,
 * the baseline it is compared with, the ratio (value / baseline), the target and whether it is
 * met. A goal whose row is absent (its scenario not run, or no scenario measures it yet) is NOT
 * MEASURED, with the scenario that would measure it. Pure: rows in, report out.
 */
import { formatNumber, formatRatio, type ResultRow } from "./report.js";

/** The bar one part of a goal must clear: on the ratio to its baseline, or on the value itself. */
export type GoalTarget = { on: "ratio" | "value"; op: "<=" | "<" | ">="; limit: number; /** value targets */ unit?: string };

/** One measured part of a goal: which row, which baseline, which statistic, what bar. */
export interface GoalPartSpec {
  label: string;
  scenario: string;
  /** The row's case: exact text, or a pattern. */
  case: string | RegExp;
  /** The baseline's name; absent for goals on the value alone. */
  baseline?: RegExp;
  /** The median (a row's value) or the p99. */
  statistic: "value" | "p99";
  target: GoalTarget;
}

export interface GoalSpec {
  id: number;
  title: string;
  /** The scenario that measures it (its `--only` name). */
  measuredBy?: string;
  /** Where no scenario measures it yet: what would. */
  unmeasured?: string;
  parts: GoalPartSpec[];
}

export type GoalVerdict = "MET" | "MISSED" | "NOT MEASURED";

export interface GoalPartResult {
  label: string;
  verdict: GoalVerdict;
  measured?: number;
  unit?: string;
  baselineName?: string;
  baseline?: number;
  ratio?: number;
  target: string;
  /** Why it was not measured. */
  reason?: string;
}

export interface GoalResult {
  id: number;
  title: string;
  verdict: GoalVerdict;
  parts: GoalPartResult[];
}

const ratioTarget = (op: GoalTarget["op"], limit: number): GoalTarget => ({ on: "ratio", op, limit });

/** Issue 19's eight goals, each part naming the row of this harness that measures it. */
export const GOALS: GoalSpec[] = [
  {
    id: 1,
    title: "Group commit and a lean request path: single-patch pushes/s at 64 keep-alive clients vs a bare node:http server reading the same bodies",
    measuredBy: "write-throughput",
    parts: [
      { label: "SQLite FULL", scenario: "2 write throughput", case: "SQLite FULL: 64 clients x 1 patch", baseline: /^raw HTTP req\/s at 64$/, statistic: "value", target: ratioTarget(">=", 0.3) },
      { label: "PostgreSQL", scenario: "2 write throughput", case: /^PostgreSQL.*: 64 clients x 1 patch$/, baseline: /^raw HTTP req\/s at 64$/, statistic: "value", target: ratioTarget(">=", 0.15) },
    ],
  },
  {
    id: 2,
    title: "Push over the live connection: pair latency at 1,000 connections vs y-websocket + y-leveldb",
    measuredBy: "push-pair",
    parts: [
      { label: "p50", scenario: "2b push over WebSocket", case: /1,000 connections/, baseline: /y-leveldb/, statistic: "value", target: ratioTarget("<=", 2) },
      { label: "p99", scenario: "2b push over WebSocket", case: /1,000 connections/, baseline: /y-leveldb/, statistic: "p99", target: ratioTarget("<=", 1.5) },
    ],
  },
  {
    id: 3,
    title: "Fan-out once per change: one change to 1,000 subscribers, p99 vs y-websocket's relay",
    measuredBy: "push-notify",
    parts: [{ label: "p99", scenario: "1 push-to-notify", case: "1,000 subscribers, commit -> delivery", baseline: /^y-websocket relay$/, statistic: "p99", target: ratioTarget("<=", 1) }],
  },
  {
    id: 4,
    title: "Idle connections: server memory per connection vs y-websocket's",
    measuredBy: "connections",
    parts: [
      { label: "1,000", scenario: "4 connections", case: /^1,000 idle subscribed/, baseline: /^y-websocket server$/, statistic: "value", target: ratioTarget("<=", 1) },
      { label: "10,000", scenario: "4 connections", case: /^10,000 idle subscribed/, baseline: /^y-websocket server$/, statistic: "value", target: ratioTarget("<=", 1) },
    ],
  },
  {
    id: 5,
    title: "Delta sync in one round trip: the 20-dataset sync after one ~1 KB change, bytes on the wire both ways",
    measuredBy: "initial-sync",
    parts: [{ label: "20 datasets", scenario: "3 delta sync", case: "the same, every dataset synced (client.sync(), 20 datasets)", baseline: /^the changed record's key \+ value$/, statistic: "value", target: { on: "value", op: "<=", limit: 1500, unit: "B" } }],
  },
  {
    id: 6,
    title: "Initial sync of 20 x 1 MB vs the raw HTTP GET of the same bytes",
    measuredBy: "initial-sync",
    parts: [{ label: "seconds", scenario: "3 initial sync", case: /^fresh client pulls .*: seconds$/, baseline: /^raw HTTP GET of /, statistic: "value", target: ratioTarget("<=", 8) }],
  },
  {
    id: 7,
    title: "YDOC merge per edit vs Yjs applyUpdate per edit",
    measuredBy: "ydoc",
    parts: [{ label: "median", scenario: "6 YDOC", case: /^server merge time per edit/, baseline: /^Yjs applyUpdate per edit$/, statistic: "value", target: ratioTarget("<=", 5) }],
  },
  {
    id: 8,
    title: "The stream keeps up: events appended/s = pushes/s in the storm; consumer lag p99 under 20 ms",
    measuredBy: "stream",
    parts: [
      { label: "appended/s", scenario: "5 stream", case: /^events appended per second/, baseline: /^pushes\/s in the storm$/, statistic: "value", target: ratioTarget(">=", 1) },
      { label: "lag p99", scenario: "5 stream", case: "consumer lag during the storm (append -> handled)", baseline: /^push latency in the storm$/, statistic: "p99", target: { on: "value", op: "<", limit: 20, unit: "ms" } },
    ],
  },
];

function matches(text: string, pattern: string | RegExp): boolean {
  return typeof pattern === "string" ? text === pattern : pattern.test(text);
}

function passes(target: GoalTarget, x: number): boolean {
  if (target.op === "<=") return x <= target.limit;
  if (target.op === "<") return x < target.limit;
  return x >= target.limit;
}

/** The target as the report prints it: `>= 0.3x`, `< 20 ms`. */
export function describeTarget(target: GoalTarget): string {
  return target.on === "ratio" ? `${target.op} ${target.limit}x` : `${target.op} ${target.limit.toLocaleString("en-US")} ${target.unit ?? ""}`.trimEnd();
}

function evaluatePart(spec: GoalPartSpec, goal: GoalSpec, rows: readonly ResultRow[]): GoalPartResult {
  const row = rows.find((candidate) => candidate.scenario === spec.scenario && matches(candidate.case, spec.case));
  const notMeasured = (reason: string): GoalPartResult => ({ label: spec.label, verdict: "NOT MEASURED", target: describeTarget(spec.target), reason });
  if (!row) return notMeasured(goal.unmeasured ? `no scenario yet; it would measure ${goal.unmeasured}` : `scenario ${goal.measuredBy ?? "?"} did not run`);
  if (row.skipped) return notMeasured(row.skipped);
  const measured = spec.statistic === "p99" ? row.p99 : row.value;
  if (measured === undefined || !Number.isFinite(measured)) return notMeasured(`no ${spec.statistic === "p99" ? "p99" : "value"} in its row`);
  const baselineEntry = spec.baseline ? row.baselines.find((entry) => spec.baseline!.test(entry.name)) : undefined;
  const baseline = baselineEntry ? (spec.statistic === "p99" ? baselineEntry.p99 : baselineEntry.value) : undefined;
  const ratio = baseline !== undefined && Number.isFinite(baseline) && baseline !== 0 ? measured / baseline : undefined;
  if (spec.target.on === "ratio" && ratio === undefined) return notMeasured("its baseline was not measured in this run");
  const verdict: GoalVerdict = passes(spec.target, spec.target.on === "ratio" ? ratio! : measured) ? "MET" : "MISSED";
  return {
    label: spec.label,
    verdict,
    measured,
    unit: row.unit,
    ...(baselineEntry && baseline !== undefined ? { baselineName: baselineEntry.name, baseline } : {}),
    ...(ratio === undefined ? {} : { ratio }),
    target: describeTarget(spec.target),
  };
}

/** Each goal's parts evaluated against the run's rows: MISSED if any part missed, MET if all met. */
export function evaluateGoals(rows: readonly ResultRow[], goals: readonly GoalSpec[] = GOALS): GoalResult[] {
  return goals.map((goal) => {
    const parts = goal.parts.map((part) => evaluatePart(part, goal, rows));
    const verdict: GoalVerdict = parts.some((part) => part.verdict === "MISSED") ? "MISSED" : parts.every((part) => part.verdict === "MET") ? "MET" : "NOT MEASURED";
    return { id: goal.id, title: goal.title, verdict, parts };
  });
}

/** One line's cells: goal, part, measured, baseline, ratio, target, verdict. */
function cells(goal: GoalResult, part: GoalPartResult): string[] {
  const head = [`${goal.id}`, part.label];
  if (part.verdict === "NOT MEASURED") return [...head, "", "", "", part.target, `NOT MEASURED (${part.reason})`];
  const baseline = part.baseline === undefined ? "" : `${part.baselineName} ${formatNumber(part.baseline)}`;
  const ratio = part.ratio === undefined ? "" : formatRatio(part.measured!, part.baseline!);
  return [...head, `${formatNumber(part.measured!)} ${part.unit}`.trimEnd(), baseline, ratio, part.target, part.verdict];
}

const HEADER = ["goal", "part", "measured", "baseline (same run)", "ratio", "target", "verdict"];

/** The goals as a Markdown table, each goal's title above its parts. */
export function goalsMarkdown(goals: readonly GoalResult[]): string {
  const escape = (text: string) => text.replace(/\|/g, "\\|");
  const out = [`| ${HEADER.join(" | ")} |`, `|${HEADER.map(() => "---").join("|")}|`];
  for (const goal of goals) {
    out.push(`| **${goal.id}** | **${escape(goal.title)}** |  |  |  |  | **${goal.verdict}** |`);
    for (const part of goal.parts) out.push(`| ${cells(goal, part).map(escape).join(" | ")} |`);
  }
  return out.join("\n");
}

/** The goals as plain text for the console. */
export function goalsConsole(goals: readonly GoalResult[]): string {
  const lines: string[] = [];
  for (const goal of goals) {
    lines.push(`${goal.id}. ${goal.title}: ${goal.verdict}`);
    for (const part of goal.parts) {
      const [, label, measured, baseline, ratio, target, verdict] = cells(goal, part);
      const comparison = part.verdict === "NOT MEASURED" ? "" : `${measured}${baseline ? ` vs ${baseline}` : ""}${ratio ? ` = ${ratio}` : ""}, `;
      lines.push(`   ${label}: ${comparison}target ${target}: ${verdict}`);
    }
  }
  return lines.join("\n");
}
