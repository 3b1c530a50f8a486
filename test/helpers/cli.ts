/**
 * The real `syncpool` CLI as child processes, for tests that need a separate process: a server to
 * SIGKILL, or `syncpool stream ...` commands. Children run the server's code as bundled once for
 * the whole test run (`cli-build.ts`; the first child of a file may wait for that build to end),
 * or through tsx when run without that global setup. Children still running when the test file
 * ends are killed. A child server stores its data on the run's backend (`test-backend.ts`): in
 * `dataDir` on SQLite, in the directory's schema on PostgreSQL, unless `env` names a database of
 * its own; other commands find it with `childBackendEnv`.
 *
 *   const { child, graphqlUrl } = await startChildServer(dataDir);
 *   const { stdout, code } = await runCli(["stream", "read", "--pool", "default", "--data-dir", dataDir], await childBackendEnv(dataDir));
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { onEveryFileEnd } from "./file-end.js";
import { runBuild } from "./run-build.js";
import { childBackendEnv } from "./test-backend.js";

export { childBackendEnv };

/** Where the CLI runs (its working directory), the repository. */
export const repoRoot = resolve(import.meta.dirname, "../..");
const children = new Set<ChildProcess>();
onEveryFileEnd(() => {
  for (const child of children) child.kill("SIGKILL");
});

/** The arguments for `node` that run `syncpool <args>`. */
export async function cliArgs(args: string[]): Promise<string[]> {
  const build = await runBuild();
  return build ? [build.entry, ...args] : ["--import", "tsx", "server/cli.ts", ...args];
}

/** Spawns `syncpool <args>` with a minimal environment plus `env`. */
export async function spawnCli(args: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, await cliArgs(args), {
    cwd: repoRoot,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Runs `syncpool <args>` to completion. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = await spawnCli(args, env);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += String(chunk)));
  child.stderr!.on("data", (chunk) => (stderr += String(chunk)));
  const code = await new Promise<number | null>((done) => child.once("exit", (exitCode) => done(exitCode)));
  return { code, stdout, stderr };
}

/**
 * Starts `syncpool serve --port 0` on `dataDir` and the run's backend (unless `env` sets
 * `DATABASE_URL`); resolves with its GraphQL URL from its start-up log line.
 */
export async function startChildServer(dataDir: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; graphqlUrl: string }> {
  const backend = env["DATABASE_URL"] === undefined ? await childBackendEnv(dataDir) : {};
  const child = await spawnCli(["serve", "--port", "0", "--data-dir", dataDir], { LOG_LEVEL: "info", ...backend, ...env });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += String(chunk)));
  const graphqlUrl = await new Promise<string>((resolveUrl, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        const entry = JSON.parse(line) as { graphqlUrl?: string };
        if (entry.graphqlUrl) resolveUrl(entry.graphqlUrl);
      } catch {
        // not a log line
      }
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)));
  });
  return { child, graphqlUrl };
}

/** Resolves when `child` has exited (at once if it already has), with its exit code. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => child.once("exit", (code) => done(code)));
}
