/**
 * Scenario 9, user-pool sign-ins: a real server in its own process (SQLite, the default storage)
 * serving the default pool `local_default`, with confirmed users made through SignUp and
 * ConfirmSignUp. Measured over real HTTP at `POST /aws/cognito-idp`:
 *
 * - the rate at saturation (closed loops, enough in flight to keep both cores and argon2's
 *   threads busy) of USER_SRP_AUTH sign-ins (InitiateAuth + RespondToAuthChallenge),
 *   USER_PASSWORD_AUTH sign-ins and GetTokensFromRefreshToken refreshes (rotation on, Amplify's
 *   refresh);
 * - the latency of each at half its goal rate, open loop (`lib/load-patterns.ts`).
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
import { measureClosedLoop, measureOpenLoop, type LoadResult } from "../lib/load-patterns.js";
import type { ResultRow, ScenarioResult } from "../lib/report.js";
import { createConfirmedUsers, passwordSignIn, refreshTokens, srpSignIn, type BenchUser } from "../lib/user-pool-load.js";

const SCENARIO = "9 user pool";
/** Concurrent requests at saturation: the server's 2 cores and argon2's 4 threads stay busy. */
const WORKERS = 16;
/** Keycloak's published password logins per second per vCPU. */
const KEYCLOAK_LOGINS_PER_VCPU = 15;

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
  const math = measureAuthMath(quick);
  const httpPerSecond = await measureHttpThroughput(httpUrl, WORKERS, quick ? 500 : 2000);
  const server = await startChildServer("syncpool", { storage: "sqlite" });
  const saturated: Record<string, LoadResult> = {};
  const paced: Record<string, LoadResult> = {};
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
      paced[flow.key] = await measureOpenLoop(flow.goalPerSecond / 2, pacedWindowMs, operations[flow.key].paced);
    }
  } finally {
    await server.stop();
  }
  const cores = cpus().length;
  return {
    name: "user-pool-auth",
    title: "User-pool sign-ins and refreshes",
    rows: rowsOf(math, httpPerSecond, saturated, paced, cores),
    details: { windowMs, pacedWindowMs, users: userCount, workers: WORKERS, cores, baselinesOneCore: math, rawHttpRequestsPerSecond: httpPerSecond, saturated, paced },
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

function rowsOf(math: AuthMathBaseline, httpPerSecond: number, saturated: Record<string, LoadResult>, paced: Record<string, LoadResult>, cores: number): ResultRow[] {
  const baselineOf = {
    srp: { name: "raw SRP server math/s (1 core)", value: math.srpServerSignInsPerSecond, perOp: "raw SRP server math, ms per sign-in" },
    password: { name: "raw argon2id verifies/s (1 core)", value: math.argon2VerifiesPerSecond, perOp: "raw argon2id verify, ms" },
    refresh: { name: `raw HTTP req/s at ${WORKERS}`, value: httpPerSecond, perOp: null },
  };
  const rows: ResultRow[] = [
    { scenario: SCENARIO, case: "baseline: argon2id hashes (server's parameters, 1 core)", value: math.argon2HashesPerSecond, unit: "hashes/s", better: "higher", baselines: [] },
    { scenario: SCENARIO, case: "baseline: argon2id verifies (server's parameters, 1 core)", value: math.argon2VerifiesPerSecond, unit: "verifies/s", better: "higher", baselines: [] },
    { scenario: SCENARIO, case: "baseline: server half of SRP (B, key, proof check; 1 core)", value: math.srpServerSignInsPerSecond, unit: "sign-ins/s", better: "higher", baselines: [] },
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
      baselines: [{ name: baseline.name, value: baseline.value }],
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
      baselines: baseline.perOp === null ? [] : [{ name: baseline.perOp, value: 1000 / baseline.value }],
      goal: { text: `p99 < 50 ms at ${flow.goalPerSecond / 2}/s`, met: load.latency.p99Ms < 50 && load.failed === 0 },
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
