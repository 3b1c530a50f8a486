/**
 * Scenario 9, user-pool sign-ins: a real server in its own process (SQLite, the default storage)
 * serving the default pool `local_default`, with confirmed users made through SignUp and
 * ConfirmSignUp. Measured over real HTTP at `POST /aws/cognito-idp`:
 *
 * - the rate at saturation (closed loops, enough in flight to keep both cores and argon2's
 *   threads busy) of USER_SRP_AUTH sign-ins (InitiateAuth + RespondToAuthChallenge),
 *   USER_PASSWORD_AUTH sign-ins and GetTokensFromRefreshToken refreshes (rotation on, Amplify's
 *   refresh);
 * - the latency of each at half its goal rate, open loop (`lib/load-patterns.ts`);
 * - the CPU time each costs the server process (all threads: argon2 and WebCrypto run on libuv's
 *   pool) in that paced run, which says what two idle cores could serve when the machine is shared.
 *
 * Baselines in the same run, on one core of this process (`baselines/auth-math.ts`): argon2id with
 * the server's parameters and the server's half of the SRP math; for refreshes, a bare node:http
 * server's requests per second at the same concurrency. Keycloak's published figure, 15 password
 * logins per second per vCPU, is compared with password sign-ins per core of this machine.
 */
import { cpus } from "node:os";
import { measureAuthMath, type AuthMathBaseline } from "../baselines/auth-math.js";
import { measureHttpThroughput } from "../baselines/http-round-trip.js";
import { startChildServer } from "../lib/child-server.js";
import { currentLoad, processCpuMs } from "../lib/machine.js";
import { measureClosedLoop, measureOpenLoop, type LoadResult } from "../lib/load-patterns.js";
import type { ResultRow, ScenarioResult } from "../lib/report.js";
import { createConfirmedUsers, passwordSignIn, refreshTokens, srpSignIn, type BenchUser } from "../lib/user-pool-load.js";

const SCENARIO = "9 user pool";
/** Concurrent requests at saturation: the server's 2 cores and argon2's 4 threads stay busy. */
const WORKERS = 16;
/** Keycloak's published password logins per second per vCPU. */
const KEYCLOAK_LOGINS_PER_VCPU = 15;

interface CpuPerOp {
  serverMs: number;
  clientMs: number;
  loadAverage1m: number;
}

interface Flow {
  key: "srp" | "password" | "refresh";
  label: string;
  goalPerSecond: number;
}

const FLOWS: Flow[] = [
  { key: "srp", label: "USER_SRP_AUTH sign-ins", goalPerSecond: 100 },
  { key: "password", label: "USER_PASSWORD_AUTH sign-ins", goalPerSecond: 80 },
  { key: "refresh", label: "GetTokensFromRefreshToken refreshes", goalPerSecond: 500 },
];

/** Runs scenario 9; `httpUrl` is the bare node:http baseline server of the run. */
export async function runUserPoolAuth(quick: boolean, httpUrl: string): Promise<ScenarioResult> {
  const windowMs = quick ? 1500 : 5000;
  const pacedWindowMs = quick ? 3000 : 10_000;
  const userCount = quick ? 16 : 32;
  // HTTP first: the math blocks this thread for seconds, long enough for the baseline server to
  // close idle keep-alive sockets that fetch would then reuse.
  const httpPerSecond = await measureHttpThroughput(httpUrl, WORKERS, quick ? 500 : 2000);
  const math = measureAuthMath(quick);
  const server = await startChildServer("syncpool", { storage: "sqlite" });
  const saturated: Record<string, LoadResult> = {};
  const paced: Record<string, LoadResult> = {};
  /** CPU per operation in the paced run: the server process (all its threads) and this process. */
  const cpuPerOp: Record<string, CpuPerOp> = {};
  try {
    const origin = new URL(server.url).origin;
    if (server.dataDir === undefined) throw new Error("the bench server did not say where its data directory is");
    const users = await createConfirmedUsers(origin, server.dataDir, userCount);
    const userOf = (index: number): BenchUser => users[index % users.length]!;
    // One refresh token per worker, and a queue of them for the paced run (each refresh rotates its token).
    const tokens = await Promise.all(Array.from({ length: 2 * WORKERS }, (_, index) => passwordSignIn(origin, userOf(index))));
    const workerTokens = tokens.slice(0, WORKERS);
    const tokenQueue = new TokenQueue(tokens.slice(WORKERS));
    let nextUser = 0;
    const operations: Record<Flow["key"], { worker: (worker: number) => Promise<void>; paced: () => Promise<void> }> = {
      srp: { worker: (worker) => srpSignIn(origin, userOf(worker)), paced: () => srpSignIn(origin, userOf(nextUser++)) },
      password: { worker: async (worker) => void (await passwordSignIn(origin, userOf(worker))), paced: async () => void (await passwordSignIn(origin, userOf(nextUser++))) },
      refresh: {
        worker: async (worker) => void (workerTokens[worker] = await refreshTokens(origin, workerTokens[worker]!)),
        paced: async () => tokenQueue.push(await refreshTokens(origin, await tokenQueue.take())),
      },
    };
    for (const flow of FLOWS) {
      saturated[flow.key] = await measureClosedLoop(WORKERS, windowMs, 300, operations[flow.key].worker);
      const serverCpuBefore = processCpuMs(server.pid);
      const clientCpuBefore = process.cpuUsage();
      paced[flow.key] = await measureOpenLoop(flow.goalPerSecond / 2, pacedWindowMs, operations[flow.key].paced);
      const clientCpu = process.cpuUsage(clientCpuBefore);
      const completed = paced[flow.key]!.completed;
      cpuPerOp[flow.key] = {
        serverMs: (processCpuMs(server.pid) - serverCpuBefore) / completed,
        clientMs: (clientCpu.user + clientCpu.system) / 1000 / completed,
        loadAverage1m: currentLoad(),
      };
    }
  } finally {
    await server.stop();
  }
  const cores = cpus().length;
  return {
    name: "user-pool-auth",
    title: "User-pool sign-ins and refreshes",
    rows: rowsOf(math, httpPerSecond, saturated, paced, cpuPerOp, cores),
    details: { windowMs, pacedWindowMs, users: userCount, workers: WORKERS, cores, baselinesOneCore: math, rawHttpRequestsPerSecond: httpPerSecond, saturated, paced, cpuPerOp },
    charts: [
      {
        file: "user-pool-auth.svg",
        title: "User-pool operations per second at saturation (higher is better)",
        xLabel: "flow",
        yLabel: "per second",
        kind: "bar",
        categories: ["SRP sign-in", "password sign-in", "refresh"],
        series: [
          { name: "syncpool", points: FLOWS.map((flow, index): [number, number] => [index, saturated[flow.key]!.perSecond]) },
          { name: "goal", points: FLOWS.map((flow, index): [number, number] => [index, flow.goalPerSecond]) },
        ],
      },
    ],
  };
}

function rowsOf(math: AuthMathBaseline, httpPerSecond: number, saturated: Record<string, LoadResult>, paced: Record<string, LoadResult>, cpuPerOp: Record<string, CpuPerOp>, cores: number): ResultRow[] {
  const baselineOf = {
    srp: { name: "raw SRP server math/s (1 core)", cost: math.srpServerSignIn, perOp: "raw SRP server math per sign-in" },
    password: { name: "raw argon2id verifies/s (1 core)", cost: math.argon2Verify, perOp: "raw argon2id verify" },
    refresh: { name: `raw HTTP req/s at ${WORKERS}`, cost: { perSecond: httpPerSecond, cpuMs: Number.NaN }, perOp: null },
  };
  const baselineRow = (name: string, cost: { perSecond: number; cpuMs: number }, unit: string): ResultRow => ({
    scenario: SCENARIO,
    case: `baseline: ${name} (1 core; CPU ${cost.cpuMs.toFixed(1)} ms each)`,
    value: cost.perSecond,
    unit,
    better: "higher",
    baselines: [],
  });
  const rows: ResultRow[] = [
    baselineRow("argon2id hashes, server's parameters", math.argon2Hash, "hashes/s"),
    baselineRow("argon2id verifies, server's parameters", math.argon2Verify, "verifies/s"),
    baselineRow("server half of SRP (B, key, proof check)", math.srpServerSignIn, "sign-ins/s"),
  ];
  for (const flow of FLOWS) {
    const load = saturated[flow.key]!;
    const baseline = baselineOf[flow.key];
    rows.push({
      scenario: SCENARIO,
      case: `${flow.label} at saturation (${WORKERS} in flight)${failureNote(load)}`,
      value: load.perSecond,
      unit: "/s",
      better: "higher",
      baselines: [{ name: baseline.name, value: baseline.cost.perSecond }],
      goal: { text: `>= ${flow.goalPerSecond}/s`, met: load.perSecond >= flow.goalPerSecond && load.failed === 0 },
    });
  }
  for (const flow of FLOWS) {
    const load = paced[flow.key]!;
    const baseline = baselineOf[flow.key];
    rows.push({
      scenario: SCENARIO,
      case: `${flow.label} at ${flow.goalPerSecond / 2}/s, open loop: latency${failureNote(load)}`,
      value: load.latency.medianMs,
      p99: load.latency.p99Ms,
      unit: "ms",
      better: "lower",
      baselines: baseline.perOp === null ? [] : [{ name: `${baseline.perOp}, ms`, value: 1000 / baseline.cost.perSecond }],
      goal: { text: `p99 < 50 ms at ${flow.goalPerSecond / 2}/s`, met: load.latency.p99Ms < 50 && load.failed === 0 },
    });
  }
  for (const flow of FLOWS) {
    const cpu = cpuPerOp[flow.key]!;
    const baseline = baselineOf[flow.key];
    rows.push({
      scenario: SCENARIO,
      case: `${flow.label}: server CPU per op, all threads (client: ${cpu.clientMs.toFixed(1)} ms; ${cores} cores fit ${Math.floor((cores * 1000) / cpu.serverMs)}/s)`,
      value: cpu.serverMs,
      unit: "ms",
      better: "lower",
      baselines: baseline.perOp === null ? [] : [{ name: `${baseline.perOp}, CPU ms`, value: baseline.cost.cpuMs }],
    });
  }
  const password = saturated["password"]!;
  rows.push({
    scenario: SCENARIO,
    case: `USER_PASSWORD_AUTH sign-ins per vCPU (${cores} cores)`,
    value: password.perSecond / cores,
    unit: "/s per vCPU",
    better: "higher",
    baselines: [{ name: "Keycloak, published per vCPU", value: KEYCLOAK_LOGINS_PER_VCPU }],
  });
  return rows;
}

/**
 * Refresh tokens for the paced run: each refresh rotates its token, so a request takes one and
 * gives back the new one. When all are in flight (the server is behind) the next request waits
 * for one, and that wait counts in its latency (timed from when it was due).
 */
class TokenQueue {
  private readonly waiting: Array<(token: string) => void> = [];
  constructor(private readonly tokens: string[]) {}
  take(): Promise<string> {
    const token = this.tokens.shift();
    return token === undefined ? new Promise((resolve) => this.waiting.push(resolve)) : Promise.resolve(token);
  }
  push(token: string): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter(token);
    else this.tokens.push(token);
  }
}

function failureNote(load: LoadResult): string {
  return load.failed === 0 ? "" : ` (${load.failed} failed: ${load.firstFailure?.slice(0, 80)})`;
}
