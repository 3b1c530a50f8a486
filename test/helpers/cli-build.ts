/**
 * A vitest global setup (every project): compiles the server's TypeScript (`server/`, `core/`,
 * `schema/`) once per run, file by file with esbuild, into a temporary directory laid out like the
 * repository, and hands its `server/cli.js` to the tests (`inject("cliEntry")`, used by `cli.ts`).
 * A child process started from it runs the same code as `node --import tsx server/cli.ts`
 * (tsx compiles with esbuild too), without tsx compiling every module again at each start-up:
 * about half the CPU time of a CLI child. The copy is built from the working tree at the start
 * of every run, so it is never stale, and deleted at the end.
 */
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The compiled `server/cli.js` to run with `node`. */
    cliEntry: string;
  }
}

const repoRoot = resolve(import.meta.dirname, "../..");

/** TypeScript sources under `dir` (relative to the repository), declarations left out. */
function sources(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

async function compile(): Promise<string> {
  const outdir = mkdtempSync(join(tmpdir(), "syncpool-test-cli-"));
  await build({
    entryPoints: ["server", "core", "schema"].flatMap(sources),
    outdir,
    outbase: repoRoot,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "warning",
  });
  // Packages resolve from the repository's node_modules; the built console (if any) from its dist/.
  symlinkSync(join(repoRoot, "node_modules"), join(outdir, "node_modules"), "dir");
  symlinkSync(join(repoRoot, "dist"), join(outdir, "dist"), "dir");
  return outdir;
}

// Each project runs the global setup; one build (in the main process) serves them all.
const shared = Symbol.for("syncpool.test.cliBuild");
type Shared = { outdir: Promise<string>; users: number };

export default async function setup(project: TestProject): Promise<() => void> {
  const state = ((globalThis as Record<symbol, Shared | undefined>)[shared] ??= { outdir: compile(), users: 0 });
  state.users += 1;
  const outdir = await state.outdir;
  project.provide("cliEntry", join(outdir, "server", "cli.js"));
  return () => {
    if ((state.users -= 1) > 0) return;
    rmSync(outdir, { recursive: true, force: true });
    delete (globalThis as Record<symbol, Shared | undefined>)[shared];
  };
}
