/**
 * Scenario 2, write throughput: single-patch pushes with 1, 16 and 64 concurrent clients, and
 * 100-patch pushes with 16, on SQLite (synchronous FULL, the default, and NORMAL) and on
 * PostgreSQL (a fresh schema, dropped afterwards). Each client is its own identity pushing to its
 * own dataset, one push after another; the server runs in its own process, so the clients (this
 * process) and the server each have a core.
 *
 * Baselines in the same run: better-sqlite3 alone (one commit per row with the same synchronous
 * setting; rows in one transaction for 100-patch pushes) and a bare node:http server reading the
 * same JSON bodies (same tokens, same sizes) at the same concurrency. Both are driven by the same
 * load generator (`lib/http-load.ts`: node:http over a keep-alive Agent, one socket per client).
 * Goal 1's cell (64 clients, single patches) is measured in windows alternating with the bare
 * server's (`lib/alternating-windows.ts`): its baseline is the bare rate the adjacent windows
 * give, so a drift of the machine between windows does not decide the goal.
 */
import { startChildServer } from "../lib/child-server.js";
import { probePostgres } from "../lib/bench-server.js";
import { signInGuests, type BenchPatch } from "../lib/gql.js";
import { measureHttpLoad, type HttpLoadResult, type LoadRequest } from "../lib/http-load.js";
import { combineWindows, measureAlternating } from "../lib/alternating-windows.js";
import { processCpuMs } from "../lib/machine.js";
import type { Baseline, ResultRow, ScenarioResult } from "../lib/report.js";
import type { SqliteInsertBaseline } from "../baselines/sqlite-inserts.js";

interface Cell {
  clients: number;
  patchesPerPush: number;
}

const CELLS: Cell[] = [
  { clients: 1, patchesPerPush: 1 },
  { clients: 16, patchesPerPush: 1 },
  { clients: 64, patchesPerPush: 1 },
  { clients: 16, patchesPerPush: 100 },
];

type Backend = { label: string; options: { storage: "sqlite" | "postgres"; sqliteSynchronous?: "FULL" | "NORMAL" } };

/** Runs scenario 2 against the SQLite baselines already measured in this run. */
export async function runWriteThroughput(quick: boolean, sqlite: SqliteInsertBaseline, httpUrl: string): Promise<ScenarioResult> {
  const windowMs = quick ? 700 : 5000;
  const postgres = await probePostgres();
  const backends: Backend[] = [
    { label: "SQLite FULL", options: { storage: "sqlite", sqliteSynchronous: "FULL" } },
    // NORMAL (no fsync per commit) shows what durability costs; the quick run leaves it out.
    ...(quick ? [] : [{ label: "SQLite NORMAL", options: { storage: "sqlite", sqliteSynchronous: "NORMAL" } } satisfies Backend]),
    { label: `PostgreSQL ${postgres.version.split(" ")[0] ?? ""}`.trim(), options: { storage: "postgres" } },
  ];
  const httpRate = new Map<number, number>();
  const rawHttp: Record<string, HttpLoadResult> = {};

  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = { windowMs, loadGenerator: "node:http, keep-alive Agent, one socket per client", rawHttp };
  for (const backend of backends) {
    if (backend.options.storage === "postgres" && !postgres.reachable) {
      for (const cell of CELLS) rows.push({ scenario: "2 write throughput", case: `${backend.label}: ${describe(cell)}`, value: Number.NaN, unit: "", better: "higher", baselines: [], skipped: `skipped: PostgreSQL unreachable (${postgres.reason})` });
      continue;
    }
    const server = await startChildServer("syncpool", backend.options);
    try {
      const guests = await signInGuests(server.url, Math.max(...CELLS.map((cell) => cell.clients)));
      const tokens = guests.map((guest) => guest.token);
      // The bare server reads the same bodies with the same tokens, once per concurrency, as soon as real tokens exist.
      for (const clients of new Set(CELLS.map((cell) => cell.clients))) {
        if (httpRate.has(clients)) continue;
        const raw = await measureCell(httpUrl, tokens.slice(0, clients), { clients, patchesPerPush: 1 }, quick ? 500 : 2000, "raw");
        rawHttp[String(clients)] = raw;
        httpRate.set(clients, raw.perSecond);
      }
      for (const [index, cell] of CELLS.entries()) {
        const cellTokens = tokens.slice(0, cell.clients);
        const isGoal1Cell = cell.clients === 64 && cell.patchesPerPush === 1;
        let measured: Awaited<ReturnType<typeof measureCell>>;
        let httpPerSecond = httpRate.get(cell.clients)!;
        if (isGoal1Cell) {
          // Each window pushes to a dataset and mutation ids of its own: no push replays an earlier window's.
          const windows = await measureAlternating(
            quick ? 2 : 3,
            () => measureCell(httpUrl, cellTokens, cell, quick ? 500 : 1000, "raw"),
            (window) => measureCell(server.url, cellTokens, cell, quick ? windowMs : 2000, `c${index}w${window}`, server.pid),
          );
          const cpuMs = windows.measured.reduce((sum, window) => sum + window.serverCpuMsPerPush * window.completed, 0);
          const combined = combineWindows(windows.measured);
          measured = { ...combined, serverCpuMsPerPush: cpuMs / combined.completed };
          // The bare rate the adjacent windows give: this row's ratio is their median ratio.
          httpPerSecond = measured.perSecond / windows.medianRatio;
          details[`${backend.label}: ${describe(cell)}, alternating windows`] = { ...windows, measured: windows.measured.map((window) => window.perSecond) };
        } else {
          measured = await measureCell(server.url, cellTokens, cell, windowMs, `c${index}`, server.pid);
        }
        details[`${backend.label}: ${describe(cell)}`] = measured;
        // Requests per second compare with pushes per second; a 100-patch push's records have no HTTP counterpart.
        const baselines: Baseline[] = cell.patchesPerPush === 1 ? [{ name: `raw HTTP req/s at ${cell.clients}`, value: httpPerSecond }] : [];
        if (backend.options.storage === "sqlite") {
          const synchronous = backend.options.sqliteSynchronous!;
          baselines.unshift(
            cell.patchesPerPush === 1
              ? { name: `better-sqlite3 commits/s (${synchronous})`, value: synchronous === "FULL" ? sqlite.commitEachFullPerSecond : sqlite.commitEachNormalPerSecond }
              : { name: "better-sqlite3 rows/s in one tx", value: sqlite.oneTransactionPerSecond },
          );
        }
        const isGoalCell = backend.label === "SQLite FULL" && cell.clients === 64 && cell.patchesPerPush === 1;
        rows.push({
          scenario: "2 write throughput",
          case: `${backend.label}: ${describe(cell)}`,
          // 100-patch pushes compare records per second with rows per second.
          value: cell.patchesPerPush === 1 ? measured.perSecond : measured.perSecond * cell.patchesPerPush,
          unit: cell.patchesPerPush === 1 ? "pushes/s" : "records/s",
          better: "higher",
          baselines,
          ...(isGoalCell ? { goal: { text: "5,000 pushes/s at 64 clients, SQLite", met: measured.perSecond >= 5000 } } : {}),
        });
        // Server CPU per push at 64 clients: steadier than the rate on a machine shared with other work.
        if (cell.clients === 64 && cell.patchesPerPush === 1) {
          rows.push({ scenario: "2 write throughput", case: `${backend.label}: server CPU per push at 64 clients (all threads)`, value: measured.serverCpuMsPerPush, unit: "ms", better: "lower", baselines: [] });
        }
      }
    } finally {
      await server.stop();
    }
  }
  const chartBackends = backends.filter((backend) => backend.options.storage === "sqlite" || postgres.reachable);
  return {
    name: "write-throughput",
    title: "Write throughput",
    rows,
    details,
    charts: [
      {
        file: "write-throughput.svg",
        title: "Single-patch pushes per second (higher is better)",
        xLabel: "concurrent clients",
        yLabel: "pushes / s",
        kind: "bar",
        categories: ["1", "16", "64"],
        series: [
          ...chartBackends.map((backend) => ({
            name: `syncpool ${backend.label}`,
            points: [1, 16, 64].map((clients, index): [number, number] => [index, (details[`${backend.label}: ${clients} clients x 1 patch`] as HttpLoadResult | undefined)?.perSecond ?? Number.NaN]),
          })),
          { name: "raw HTTP req/s", points: [1, 16, 64].map((clients, index): [number, number] => [index, httpRate.get(clients)!]) },
        ],
      },
    ],
  };
}

function describe(cell: Cell): string {
  return `${cell.clients} clients x ${cell.patchesPerPush} patch${cell.patchesPerPush > 1 ? "es" : ""}`;
}

const PUSH = `mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }`;

/**
 * Each token pushes to its own dataset, one push after another, for `windowMs` (after a short
 * warm-up), through the shared load generator. A push answered with GraphQL errors is a failure.
 */
async function measureCell(url: string, tokens: string[], cell: Cell, windowMs: number, tag: string, serverPid?: number): Promise<HttpLoadResult & { serverCpuMsPerPush: number }> {
  const value = "x".repeat(40);
  const patches = (push: number): BenchPatch[] => Array.from({ length: cell.patchesPerPush }, (_, index) => ({ op: "REPLACE", key: `k${(push * cell.patchesPerPush + index) % 1000}`, value }));
  const next = (client: number, push: number): LoadRequest => ({
    token: tokens[client]!,
    body: JSON.stringify({ query: PUSH, variables: { input: { dataset: `bench-${tag}`, deviceId: `device-${client}`, mutationId: `${tag}-${push}`, patches: patches(push) } } }),
  });
  // The server's CPU time (user + system, all threads) over the counted window, when it runs in a process of its own.
  let cpuMs = Number.NaN;
  const onWindow = (edge: "start" | "end") => {
    if (serverPid !== undefined) cpuMs = edge === "start" ? processCpuMs(serverPid) : processCpuMs(serverPid) - cpuMs;
  };
  const measured = await measureHttpLoad(url, tokens.length, windowMs, 300, next, onWindow);
  if (measured.firstFailure) console.warn(`write-throughput ${tag}: ${measured.failed} failed pushes, first: ${measured.firstFailure}`);
  return { ...measured, serverCpuMsPerPush: cpuMs / measured.completed };
}
