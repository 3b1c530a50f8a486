/**
 * Starts `procs/server-process.ts` (a syncpool, y-websocket or bare HTTP server) in a child
 * process and talks to it over IPC: its URL, its memory after GC, its consumer lag, and stop.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const SERVER_PROCESS = fileURLToPath(new URL("../procs/server-process.ts", import.meta.url));

export interface ChildServer {
  url: string;
  /** syncpool: the server's data directory (mailed codes are written there). */
  dataDir: string | undefined;
  pid: number;
  /** Resident set and heap after two full GCs in the child. */
  memory(): Promise<{ rssBytes: number; heapUsedBytes: number }>;
  /** Lag samples (ms) recorded by the child's stream consumer since the last call, and events handled so far. */
  lag(): Promise<{ lagMs: number[]; handled: number }>;
  /** syncpool: live subscriptions on the change bus. */
  listeners(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Forks a bench child (`node --import tsx --expose-gc <file> ...args`) with an IPC channel. With
 * `cpuProfileDir` (the runner's `--cpu-prof-dir`), server processes write a `.cpuprofile` there on exit.
 */
export function forkBenchChild(file: string, args: string[]): ChildProcess {
  const profile = cpuProfileDir !== null && file === SERVER_PROCESS ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfileDir}`] : [];
  return fork(file, args, { execArgv: ["--import", "tsx", "--expose-gc", ...profile], stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

let cpuProfileDir: string | null = null;

/** Makes every server process started from now on write a CPU profile into `dir` (null: stop). */
export function profileServerProcesses(dir: string | null): void {
  cpuProfileDir = dir;
}

/** Waits for the next IPC message of `type` from `child`, or fails when the child exits first. */
export function nextMessage<T>(child: ChildProcess, type: string, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string }) => {
      if (message.type !== type) return;
      done();
      resolve(message as T);
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`bench child exited (${code}) before sending "${type}"`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`bench child sent no "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

/** Starts a server of `kind` in a child process; resolves once it listens. */
export async function startChildServer(kind: "syncpool" | "y-websocket" | "http" | "ws", options: object = {}): Promise<ChildServer> {
  const child = forkBenchChild(SERVER_PROCESS, [kind, JSON.stringify(options)]);
  const { url, dataDir } = await nextMessage<{ url: string; dataDir?: string }>(child, "ready");
  const request = <T>(type: string) => {
    const answer = nextMessage<T>(child, type);
    child.send({ type });
    return answer;
  };
  return {
    url,
    dataDir,
    pid: child.pid!,
    memory: () => request("memory"),
    lag: () => request("lag"),
    listeners: async () => (await request<{ count: number }>("listeners")).count,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send({ type: "stop" });
      const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(force);
    },
  };
}
