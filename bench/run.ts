/**
 * The bench runner, and the one orchestrator of `bench/`: measures the baselines, runs the
 * scenarios in order, prints one table with every result's ratio to its baselines and the
 * goals report (issue 19's goals, each MET, MISSED or NOT MEASURED; `lib/goals.ts`),
 * and writes `<out>/<scenario>.json`, `<out>/baselines.json`, `<out>/run.json`, the SVG charts
 * and `<out>/results.md`. A full run without `--only` also puts the table into BENCHMARKS.md
 * (between its `bench:results` markers). Benches assert nothing: a scenario that fails is a
 * "failed" row, and the run goes on.
 *
 *   npm run bench                       full run (about 10 minutes), results in bench/results/
 *   npm run bench -- --quick            under 2 minutes, results in bench/results/quick/
 *   npm run bench -- --only ydoc,stream
 *   npm run bench -- --only user-pool-auth --quick
 *   npm run bench -- --only model-sync --quick
 *   npm run bench -- --only write-throughput --cpu-prof-dir bench/results/profiles
 *                                       (server processes write .cpuprofile files there)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs as parseCommandLine } from "node:util";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { measureHttpRoundTrips } from "./baselines/http-round-trip.js";
import { measureSqliteInserts, type SqliteInsertBaseline } from "./baselines/sqlite-inserts.js";
import { measureWsEcho } from "./baselines/ws-echo.js";
import { probePostgres } from "./lib/bench-server.js";
import { profileServerProcesses, startChildServer } from "./lib/child-server.js";
import { evaluateGoals, goalsConsole, goalsMarkdown } from "./lib/goals.js";
import { currentLoad, machineFacts } from "./lib/machine.js";
import { consoleTable, markdownTable, type ResultRow, type ScenarioResult } from "./lib/report.js";
import { summarize } from "./lib/stats.js";
import { renderChart } from "./lib/svg.js";
import { runClientFill } from "./scenarios/client-fill.js";
import { runClientQuery } from "./scenarios/client-query.js";
import { runConnections } from "./scenarios/connections.js";
import { runInitialSync } from "./scenarios/initial-sync.js";
import { runModelSync } from "./scenarios/model-sync.js";
import { runPushNotify } from "./scenarios/push-notify.js";
import { runPushPair } from "./scenarios/push-pair.js";
import { runStream } from "./scenarios/stream.js";
import { runUserPoolAuth } from "./scenarios/user-pool-auth.js";
import { runWriteThroughput } from "./scenarios/write-throughput.js";
import { runYdoc } from "./scenarios/ydoc.js";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const BENCHMARKS_MD = resolve(BENCH_DIR, "..", "BENCHMARKS.md");

interface Options {
  quick: boolean;
  only: Set<string> | null;
  out: string;
  cpuProfileDir: string | null;
}

const USAGE = `Usage: npm run bench -- [--quick] [--only <scenario,...>] [--out <dir>] [--cpu-prof-dir <dir>]

  --quick               fewer rounds and smaller sizes, results in bench/results/quick/
  --only a,b            only these scenarios (names as in BENCHMARKS.md, e.g. ydoc,stream,model-sync)
  --out <dir>           where the JSON, SVG and results.md go
  --cpu-prof-dir <dir>  server processes write .cpuprofile files there
  --help                this text`;

/** The command line, refusing flags it does not know (a mistyped flag would otherwise start a full run). */
function parseArgs(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseCommandLine({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { quick: { type: "boolean" }, only: { type: "string" }, out: { type: "string" }, "cpu-prof-dir": { type: "string" }, help: { type: "boolean" } },
    }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  return {
    quick,
    only: values.only ? new Set(values.only.split(",")) : null,
    out: resolve(values.out ?? join(BENCH_DIR, "results", quick ? "quick" : "")),
    cpuProfileDir: values["cpu-prof-dir"] ? resolve(values["cpu-prof-dir"]) : null,
  };
}

/** What the scenarios compare with, measured first in the same run. */
interface Baselines {
  sqlite: SqliteInsertBaseline;
  rows: ResultRow[];
  details: Record<string, unknown>;
}

async function measureBaselines(quick: boolean, httpUrl: string): Promise<Baselines> {
  const sqlite = measureSqliteInserts(quick);
  const echo = summarize(await measureWsEcho(quick ? 500 : 2000));
  const http = summarize(await measureHttpRoundTrips(httpUrl, quick ? 300 : 2000));
  const row = (name: string, value: number, unit: string, better: "lower" | "higher", p99?: number): ResultRow => ({
    scenario: "0 baselines",
    case: name,
    value,
    ...(p99 === undefined ? {} : { p99 }),
    unit,
    better,
    baselines: [],
  });
  return {
    sqlite,
    details: { sqlite, wsEcho: echo, httpRoundTrip: http },
    rows: [
      row("better-sqlite3 inserts, one transaction", sqlite.oneTransactionPerSecond, "rows/s", "higher"),
      row("better-sqlite3 inserts, one commit each (synchronous FULL)", sqlite.commitEachFullPerSecond, "rows/s", "higher"),
      row("better-sqlite3 inserts, one commit each (synchronous NORMAL)", sqlite.commitEachNormalPerSecond, "rows/s", "higher"),
      row("raw ws echo round trip (1 connection, in process)", echo.medianMs, "ms", "lower", echo.p99Ms),
      row("raw HTTP POST round trip (bare node:http, own process)", http.medianMs, "ms", "lower", http.p99Ms),
    ],
  };
}

function ulimitOpenFiles(): number | null {
  const answer = spawnSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" });
  const parsed = Number(answer.stdout.trim());
  return Number.isFinite(parsed) ? parsed : null;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  mkdirSync(options.out, { recursive: true });
  if (options.cpuProfileDir) {
    mkdirSync(options.cpuProfileDir, { recursive: true });
    profileServerProcesses(options.cpuProfileDir);
  }
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const machine = machineFacts(ulimitOpenFiles());
  const postgres = await probePostgres();
  console.log(`syncpool benchmarks (${options.quick ? "quick" : "full"}) on ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.loadAverage1m}`);
  console.log(`PostgreSQL: ${postgres.reachable ? postgres.version : `unreachable (${postgres.reason})`}`);

  const http = await startChildServer("http");
  const results: ScenarioResult[] = [];
  let baselines: Baselines;
  try {
    console.log("baselines ...");
    baselines = await measureBaselines(options.quick, http.url);
    const scenarios: Array<[string, () => Promise<ScenarioResult>]> = [
      ["push-notify", () => runPushNotify(options.quick)],
      ["push-pair", () => runPushPair(options.quick)],
      ["write-throughput", () => runWriteThroughput(options.quick, baselines.sqlite, http.url)],
      ["initial-sync", () => runInitialSync(options.quick, http.url)],
      ["connections", () => runConnections(options.quick)],
      ["stream", () => runStream(options.quick, baselines.sqlite, http.url)],
      ["ydoc", () => runYdoc(options.quick)],
      ["client-fill", () => runClientFill()],
      ["client-query", () => runClientQuery(options.quick)],
      ["user-pool-auth", () => runUserPoolAuth(options.quick, http.url)],
      ["model-sync", () => runModelSync(options.quick)],
    ];
    for (const [name, run] of scenarios) {
      if (options.only && !options.only.has(name)) continue;
      const scenarioStarted = performance.now();
      console.log(`${name} ...`);
      let result: ScenarioResult;
      try {
        result = await run();
      } catch (error) {
        console.error(`${name} failed:`, error);
        const reason = error instanceof Error ? error.message : String(error);
        result = { name, title: name, rows: [{ scenario: name, case: "", value: Number.NaN, unit: "", better: "lower", baselines: [], skipped: `failed: ${reason.slice(0, 200)}` }], details: { error: reason }, charts: [] };
      }
      result.details.seconds = (performance.now() - scenarioStarted) / 1000;
      console.log(`${name}: ${(result.details.seconds as number).toFixed(1)} s`);
      results.push(result);
    }
  } finally {
    await http.stop();
  }

  const finished = { seconds: (performance.now() - started) / 1000, loadAverage1mAtEnd: currentLoad() };
  const run = { startedAt, quick: options.quick, machine, postgres: postgres.reachable ? postgres.version : `unreachable: ${postgres.reason}`, ...finished };
  const rows = [...baselines.rows, ...results.flatMap((result) => result.rows)];
  writeJson(join(options.out, "baselines.json"), { ...run, baselines: baselines.details, rows: baselines.rows });
  for (const result of results) {
    writeJson(join(options.out, `${result.name}.json`), { ...run, scenario: result.name, title: result.title, rows: result.rows, details: result.details });
    for (const chart of result.charts) writeFileSync(join(options.out, chart.file), renderChart(chart));
  }
  writeJson(join(options.out, "run.json"), { ...run, scenarios: results.map((result) => ({ name: result.name, seconds: result.details.seconds })), rows });

  const conditions = `${options.quick ? "Quick" : "Full"} run of ${startedAt} on ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}, PostgreSQL ${run.postgres}; load average ${machine.loadAverage1m} at start, ${finished.loadAverage1mAtEnd} at end; ${finished.seconds.toFixed(0)} s.`;
  const goals = evaluateGoals(rows);
  writeJson(join(options.out, "goals.json"), { ...run, goals });
  const markdown = `${conditions}\n\n${markdownTable(rows)}\n\nGoals (issue 19), each against its baseline in this run:\n\n${goalsMarkdown(goals)}\n`;
  writeFileSync(join(options.out, "results.md"), markdown);
  console.log(`\n${consoleTable(rows)}\n\nGoals, each against its baseline in this run:\n${goalsConsole(goals)}\n\n${conditions}\nResults in ${options.out}`);
  if (!options.quick && !options.only && options.out === resolve(BENCH_DIR, "results")) updateBenchmarksMd(markdown);
}

/** Replaces the text between the `bench:results` markers of BENCHMARKS.md, if it has them. */
function updateBenchmarksMd(markdown: string): void {
  if (!existsSync(BENCHMARKS_MD)) return;
  const text = readFileSync(BENCHMARKS_MD, "utf8");
  const start = "<!-- bench:results:start -->";
  const end = "<!-- bench:results:end -->";
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return;
  writeFileSync(BENCHMARKS_MD, `${text.slice(0, from + start.length)}\n${markdown}${text.slice(to)}`);
  console.log(`Table written into ${BENCHMARKS_MD}`);
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

await main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
