/**
 * What `syncpool/client` costs a web app: `client/index.ts` bundled for browsers (ESM, minified,
 * ES2022) with esbuild, gzipped (the entry chunk and the chunks it imports statically; what it
 * import()s on demand is left out, as an app's bundler splits it off), with its dependencies (Dexie, Yjs, the graphql-ws client for live
 * updates) and without them (an app that already ships them). The figures are printed and written to `test/e2e/artifacts/`; the budgets
 * catch a dependency or a Node built-in slipping into the browser build.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const entry = resolve(here, "../../client/index.ts");
const ARTIFACTS_DIR = join(here, "artifacts");

/**
 * Generous enough for ordinary growth, tight enough to notice a new dependency. (ownCode grew
 * past 16 KB with write batches, usage totals, identity-following observables, same-realm tab
 * coordination and transfer codes: no new dependency. It grew by 4 KB to 22 KB with JSON records:
 * the field-merge state, its codec, value checks and overwritten-write detection run on the
 * device as on the server; again no new dependency. Queries over JSON records, their live
 * results and the sign-in and sync-state events took it to 24 KB. The in-memory record cache that
 * lets a query skip reading and decoding the whole dataset added 0.9 KB. The client's own
 * user-pool methods, which import() the user-pool calls on first use and keep the user's tokens
 * for a restarted app, added 0.6 KB; the calls themselves stay out, in a chunk of their own.
 * Pushing over the live connection, the one-request change feed and applying a pull in bulk,
 * which cut a sync's bytes on the wire and its time, added 1.4 KB. Persisted operations added
 * 1.2 KB, half of it the ten sha256 hashes the client sends instead of its operations' texts.
 * Fetching the next dataset's pages while the one before is applied took it to 29.0 KB.)
 */
const BUDGET_GZIP_BYTES = { withDependencies: 88 * 1024, ownCode: 30 * 1024 };

/**
 * Builds `client/index.ts` as an app's bundler does: what it import()s (the user-pool calls) goes
 * to a chunk of its own, fetched on first use. Returns the entry chunk and the inputs in it.
 */
async function buildEntry(options: { minify: boolean; external?: string[] }): Promise<{ code: Uint8Array; inputs: string[] }> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    splitting: true,
    outdir: join(ARTIFACTS_DIR, "client-bundle"),
    format: "esm",
    minify: options.minify,
    platform: "browser",
    target: "es2022",
    external: options.external ?? [],
    metafile: true,
    write: false,
    logLevel: "silent",
  });
  const outputs = result.metafile.outputs;
  // The entry chunk and the chunks it imports statically: what loads before the app runs.
  const loaded = new Set([Object.keys(outputs).find((path) => outputs[path]!.entryPoint !== undefined)!]);
  for (const path of loaded) for (const imported of outputs[path]!.imports) if (imported.kind === "import-statement" && !imported.external) loaded.add(imported.path);
  const files = [...loaded].map((path) => result.outputFiles.find((file) => file.path.endsWith(path))!.contents);
  const code = new Uint8Array(files.reduce((total, file) => total + file.length, 0));
  files.reduce((offset, file) => (code.set(file, offset), offset + file.length), 0);
  return { code, inputs: [...loaded].flatMap((path) => Object.keys(outputs[path]!.inputs)) };
}

async function measure(external: string[]): Promise<{ minifiedBytes: number; gzipBytes: number }> {
  const { code } = await buildEntry({ minify: true, external });
  return { minifiedBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

/** The user-pool entry (`syncpool/client/user-pool`) alone, without the client it signs in. */
const USER_POOL_ENTRY = resolve(here, "../../client/user-pool/index.ts");
/** 2.1 KB with renewing the ID token by the refresh token and revoking it on sign-out. */
const USER_POOL_BUDGET_GZIP_BYTES = 2.5 * 1024;

describe("the client bundle for browsers", () => {
  it("builds for browsers and stays within its size budget", async () => {
    const withDependencies = await measure([]);
    const ownCode = await measure(["dexie", "yjs", "graphql-ws"]);
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    const report = [
      `syncpool/client, ESM, minified (esbuild, es2022):`,
      `  with dexie + yjs + graphql-ws: ${kb(withDependencies.minifiedBytes)} min, ${kb(withDependencies.gzipBytes)} gzip`,
      `  own code only:    ${kb(ownCode.minifiedBytes)} min, ${kb(ownCode.gzipBytes)} gzip`,
    ].join("\n");
    console.log(report);
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    writeFileSync(join(ARTIFACTS_DIR, "client-bundle.json"), JSON.stringify({ withDependencies, ownCode }, null, 2));

    expect(withDependencies.gzipBytes).toBeLessThan(BUDGET_GZIP_BYTES.withDependencies);
    expect(ownCode.gzipBytes).toBeLessThan(BUDGET_GZIP_BYTES.ownCode);
  });

  it("leaves React, the React bindings and the user-pool calls out of the entry chunk", async () => {
    const { inputs } = await buildEntry({ minify: false });
    expect(inputs.filter((path) => /node_modules\/react(-dom)?\/|client\/react\//.test(path))).toEqual([]);
    // Sign-up and sign-in against the user pool are their own entry too (syncpool/client/user-pool);
    // the client's own signUp/signIn({ username, password }) import() them into a chunk of their own.
    expect(inputs.filter((path) => /client\/user-pool\/|user-pool-call/.test(path))).toEqual([]);
    expect(inputs.some((path) => path.includes("node_modules/dexie/"))).toBe(true);
  });

  it("builds syncpool/client/user-pool for browsers as a small entry of its own", async () => {
    const result = await build({ entryPoints: [USER_POOL_ENTRY], bundle: true, format: "esm", minify: true, platform: "browser", target: "es2022", write: false, logLevel: "silent" });
    const code = result.outputFiles[0]?.contents ?? new Uint8Array();
    const gzipBytes = gzipSync(code, { level: 9 }).length;
    console.log(`syncpool/client/user-pool: ${(code.length / 1024).toFixed(1)} KB min, ${(gzipBytes / 1024).toFixed(1)} KB gzip`);
    expect(gzipBytes).toBeLessThan(USER_POOL_BUDGET_GZIP_BYTES);
  });
});
