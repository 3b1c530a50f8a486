/**
 * A vitest global setup (every project): bundles the `syncpool` CLI (`server/cli.ts` and what it
 * imports, packages included) once per run with esbuild into a temporary directory, and hands its
 * entry to the tests (`inject("cliBuild")`, awaited through `run-build.ts`); the DataStore device scripts
 * likewise, each with aws-amplify and the rest of what it requires in one CommonJS file
 * (`datastore-device.ts`), which halves a device's start (module loading is most of it). A child process started from it
 * runs the same code as `node --import tsx server/cli.ts` (tsx compiles with esbuild too), but
 * loads a few large files instead of resolving, reading and compiling hundreds of small ones: a
 * child's start-up is mostly module loading, so this is most of a CLI child's CPU time. The copy
 * is built from the working tree at the start of every run, so it is never stale, and deleted at
 * the end.
 *
 * The tests do not wait for the build to start: it takes seconds, most files never start the CLI,
 * and those that do wait for its result file (`cli.ts`), which says done or why it failed.
 *
 * The layout keeps the server's own file lookups working: the bundle sits two directories below
 * the build's root (`<root>/server/bundle/`), as `server/console/serve-console.ts` sits below the
 * repository and expects `<root>/dist/console`, and the YDOC worker is an entry of its own beside
 * the chunks, where `server/ydoc/ydoc-pool.ts` looks for `ydoc-worker.js`.
 */
import { mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import type { TestProject } from "vitest/node";

/** Where the run's CLI is, and how the tests learn that it is ready. */
export interface CliBuild {
  /** The bundled `syncpool` CLI to run with `node`, once built. */
  entry: string;
  /** The DataStore device scripts bundled, under their own file names (`datastore-device.cjs`...), once built. */
  devicesDir: string;
  /** Appears (in one rename) when the build has ended: JSON `{ "error": null }`, or the build's error message. */
  resultFile: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    cliBuild: CliBuild;
  }
}

const repoRoot = resolve(import.meta.dirname, "../..");

/**
 * Packages left out of the bundle, loaded from the repository's `node_modules` at run time:
 * native addons (a `.node` file cannot be bundled), ioredis (it reads its own `package.json`
 * through `__dirname`), and the AWS SDK, loaded only by a Cognito user migration and large enough
 * to double the build's time.
 */
const notBundled = ["better-sqlite3", "pg-native", "@node-rs/*", "ioredis", "@aws-sdk/*", "@smithy/*"];

/**
 * Bundled CommonJS packages call `require` for Node's built-ins and for the packages left out;
 * an ES module has none, so each output file makes its own.
 */
const requireForCommonJs = 'import { createRequire as createRequireForCommonJs } from "node:module"; const require = createRequireForCommonJs(import.meta.url);';

/** The DataStore device scripts (`datastore-device.ts` starts them), CommonJS as they are written. */
const deviceScripts = ["datastore-device.cjs", "datastore-user-pool-device.cjs"].map((script) => join(repoRoot, "test/helpers", script));

async function compile(root: string): Promise<void> {
  await Promise.all([compileCli(root), compileDevices(join(root, "devices"))]);
}

/** One CommonJS file per device script: `require` resolves as Node's does, so DataStore and aws-amplify stay one copy. */
async function compileDevices(outdir: string): Promise<void> {
  await build({
    entryPoints: deviceScripts,
    outdir,
    outExtension: { ".js": ".cjs" },
    bundle: true,
    // ws's optional native helpers, absent here: ws falls back to JavaScript, as unbundled.
    external: ["bufferutil", "utf-8-validate"],
    format: "cjs",
    platform: "node",
    target: "node20",
    logLevel: "warning",
  });
}

async function compileCli(root: string): Promise<void> {
  await build({
    entryPoints: [join(repoRoot, "server/cli.ts"), join(repoRoot, "server/ydoc/ydoc-worker.ts")],
    outdir: join(root, "server", "bundle"),
    entryNames: "[name]",
    bundle: true,
    // Each command group, the server and each storage stay dynamic imports, each in its chunks:
    // a command loads only its own code, as it does from source.
    splitting: true,
    external: notBundled,
    banner: { js: requireForCommonJs },
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "warning",
  });
  // ES modules, as in the repository: without it Node parses each file as CommonJS first to tell.
  writeFileSync(join(root, "package.json"), `${JSON.stringify({ type: "module" })}\n`);
  // Packages left out resolve from the repository's node_modules; the built console (if any) from its dist/.
  symlinkSync(join(repoRoot, "node_modules"), join(root, "node_modules"), "dir");
  symlinkSync(join(repoRoot, "dist"), join(root, "dist"), "dir");
}

/** Builds into `root`, then writes `cliBuild.resultFile` whole (a rename), whether the build worked or not. */
async function buildAndReport(root: string, cliBuild: CliBuild): Promise<void> {
  let error: string | null = null;
  try {
    await compile(root);
  } catch (cause) {
    error = `the test CLI build failed: ${cause instanceof Error ? cause.message : String(cause)}`;
  }
  writeFileSync(`${cliBuild.resultFile}.partial`, JSON.stringify({ error }));
  renameSync(`${cliBuild.resultFile}.partial`, cliBuild.resultFile);
}

// Each project runs the global setup; one build (in the main process) serves them all.
const shared = Symbol.for("syncpool.test.cliBuild");
type Shared = { root: string; cliBuild: CliBuild; built: Promise<void>; users: number };

function startBuild(): Shared {
  const root = mkdtempSync(join(tmpdir(), "syncpool-test-cli-"));
  const cliBuild = { entry: join(root, "server", "bundle", "cli.js"), devicesDir: join(root, "devices"), resultFile: join(root, "build-result.json") };
  return { root, cliBuild, built: buildAndReport(root, cliBuild), users: 0 };
}

export default function setup(project: TestProject): () => Promise<void> {
  const state = ((globalThis as Record<symbol, Shared | undefined>)[shared] ??= startBuild());
  state.users += 1;
  project.provide("cliBuild", state.cliBuild);
  return async () => {
    if ((state.users -= 1) > 0) return;
    await state.built;
    rmSync(state.root, { recursive: true, force: true });
    delete (globalThis as Record<symbol, Shared | undefined>)[shared];
  };
}
