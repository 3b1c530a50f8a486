/**
 * The bench's goals report (bench/lib/goals.ts): which row and baseline each goal reads, the
 * ratio and the MET / MISSED / NOT MEASURED verdict, and how the report prints. No timing: rows
 * are made up here.
 */
import { describe, expect, it } from "vitest";
import { evaluateGoals, GOALS, goalsConsole, goalsMarkdown, type GoalSpec } from "../../bench/lib/goals.js";
import type { ResultRow } from "../../bench/lib/report.js";

const row = (fields: Partial<ResultRow> & Pick<ResultRow, "scenario" | "case" | "value">): ResultRow => ({ unit: "", better: "lower", baselines: [], ...fields });

const pushRows = (sqlite: number, postgres: number, raw: number): ResultRow[] => [
  row({ scenario: "2 write throughput", case: "SQLite FULL: 64 clients x 1 patch", value: sqlite, unit: "pushes/s", better: "higher", baselines: [{ name: "better-sqlite3 commits/s (FULL)", value: 7000 }, { name: "raw HTTP req/s at 64", value: raw }] }),
  row({ scenario: "2 write throughput", case: "PostgreSQL 15.20: 64 clients x 1 patch", value: postgres, unit: "pushes/s", better: "higher", baselines: [{ name: "raw HTTP req/s at 64", value: raw }] }),
];

describe("bench goals report", () => {
  it("goal 1 is met when both backends reach their share of the bare server's rate, the ratio being value over baseline", () => {
    const [goal1] = evaluateGoals(pushRows(1500, 600, 4000));
    expect(goal1!.verdict).toBe("MET");
    expect(goal1!.parts.map((part) => [part.label, part.ratio, part.target, part.verdict])).toEqual([
      ["SQLite FULL", 0.375, ">= 0.3x", "MET"],
      ["PostgreSQL", 0.15, ">= 0.15x", "MET"],
    ]);
    expect(goal1!.parts[0]!.baselineName).toBe("raw HTTP req/s at 64");
  });

  it("one missed part makes the whole goal missed", () => {
    const [goal1] = evaluateGoals(pushRows(1500, 590, 4000));
    expect(goal1!.parts.map((part) => part.verdict)).toEqual(["MET", "MISSED"]);
    expect(goal1!.verdict).toBe("MISSED");
  });

  it("a goal whose scenario did not run, or that no scenario measures, is NOT MEASURED and says what would measure it", () => {
    const goals = evaluateGoals(pushRows(1500, 600, 4000));
    const byId = new Map(goals.map((goal) => [goal.id, goal]));
    expect(goals.map((goal) => goal.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(byId.get(2)!.verdict).toBe("NOT MEASURED");
    expect(byId.get(2)!.parts[0]!.reason).toBe("scenario push-pair did not run");
    expect(byId.get(7)!.verdict).toBe("NOT MEASURED");
    expect(byId.get(7)!.parts[0]!.reason).toBe("scenario ydoc did not run");
    // A goal no scenario measures yet says what would.
    const unmeasured = { ...GOALS[1]!, measuredBy: undefined, unmeasured: "pair latency against a y-websocket + y-leveldb peer" };
    const [pending] = evaluateGoals(pushRows(1500, 600, 4000), [unmeasured]);
    expect(pending!.parts[0]!.reason).toBe("no scenario yet; it would measure pair latency against a y-websocket + y-leveldb peer");
  });

  it("a skipped row is NOT MEASURED with its reason, not a miss", () => {
    const rows = [pushRows(1500, 0, 4000)[0]!, row({ scenario: "2 write throughput", case: "PostgreSQL: 64 clients x 1 patch", value: Number.NaN, skipped: "skipped: PostgreSQL unreachable (refused)" })];
    const [goal1] = evaluateGoals(rows);
    expect(goal1!.parts[1]).toMatchObject({ verdict: "NOT MEASURED", reason: "skipped: PostgreSQL unreachable (refused)" });
    expect(goal1!.verdict).toBe("NOT MEASURED");
  });

  it("p99 parts read the p99 of the row and of its baseline; value targets judge the value, strict or not as written", () => {
    const rows = [
      row({ scenario: "1 push-to-notify", case: "1,000 subscribers, commit -> delivery", value: 50, p99: 40, unit: "ms", baselines: [{ name: "y-websocket relay", value: 10, p99: 45 }] }),
      row({ scenario: "5 stream", case: "consumer lag during the storm (append -> handled)", value: 5, p99: 20, unit: "ms", baselines: [{ name: "push latency in the storm", value: 10, p99: 40 }] }),
      row({ scenario: "3 delta sync", case: "the same, every dataset synced (client.sync(), 20 datasets)", value: 1500, unit: "B", baselines: [{ name: "the changed record's key + value", value: 1000 }] }),
    ];
    const byId = new Map(evaluateGoals(rows).map((goal) => [goal.id, goal]));
    expect(byId.get(3)!.parts[0]).toMatchObject({ measured: 40, baseline: 45, verdict: "MET" });
    // Lag must stay under 20 ms: 20 is a miss.
    expect(byId.get(8)!.parts[1]).toMatchObject({ measured: 20, target: "< 20 ms", verdict: "MISSED" });
    // At most 1,500 B: 1,500 is met, the ratio to the changed record is still shown.
    expect(byId.get(5)!.parts[0]).toMatchObject({ measured: 1500, ratio: 1.5, target: "<= 1,500 B", verdict: "MET" });
  });

  it("a ratio target whose baseline is missing from the row is NOT MEASURED", () => {
    const spec: GoalSpec[] = [{ id: 9, title: "t", measuredBy: "s", parts: [{ label: "x", scenario: "s", case: "c", baseline: /^absent$/, statistic: "value", target: { on: "ratio", op: "<=", limit: 1 } }] }];
    const [goal] = evaluateGoals([row({ scenario: "s", case: "c", value: 1 })], spec);
    expect(goal!.parts[0]).toMatchObject({ verdict: "NOT MEASURED", reason: "its baseline was not measured in this run" });
  });

  it("prints each goal with its measured value, baseline, ratio, target and verdict, in Markdown and for the console", () => {
    const goals = evaluateGoals(pushRows(1200, 500, 4000)).slice(0, 2);
    const markdown = goalsMarkdown(goals);
    expect(markdown.split("\n").slice(0, 2)).toEqual(["| goal | part | measured | baseline (same run) | ratio | target | verdict |", "|---|---|---|---|---|---|---|"]);
    expect(markdown).toContain("| 1 | SQLite FULL | 1,200 pushes/s | raw HTTP req/s at 64 4,000 | 0.30x | >= 0.3x | MET |");
    expect(markdown).toContain("| 1 | PostgreSQL | 500 pushes/s | raw HTTP req/s at 64 4,000 | 0.13x | >= 0.15x | MISSED |");
    expect(markdown).toMatch(/\| \*\*2\*\* \| \*\*Push over the live connection.*\| \*\*NOT MEASURED\*\* \|/);
    const text = goalsConsole(goals);
    expect(text).toContain("   SQLite FULL: 1,200 pushes/s vs raw HTTP req/s at 64 4,000 = 0.30x, target >= 0.3x: MET");
    expect(text).toMatch(/^2\. Push over the live connection.*: NOT MEASURED$/m);
  });
});
