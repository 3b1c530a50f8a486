/** A typed dataset's TypeScript types: the fixture compiles, and each wrong usage in it is an error. */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const repoRoot = resolve(import.meta.dirname, "../..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
// tsc's incremental state, kept between runs (one file per checkout): files unchanged since the
// last run are not checked again, and their diagnostics are reported again from the file.
const buildInfo = join(tmpdir(), `syncpool-typed-dataset-${createHash("sha256").update(repoRoot).digest("hex").slice(0, 12)}.tsbuildinfo`);

describe("typed dataset types", () => {
  it("infer values from the schema and refuse wrong usage at compile time", () => {
    const args = [tsc, "--noEmit", "--strict", "--skipLibCheck", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--target", "ES2022", "--lib", "ES2023,ESNext.Disposable,DOM,DOM.Iterable", "--types", "node", "--incremental", "--tsBuildInfoFile", buildInfo, "test/fixtures/typed-dataset/usage.ts"];
    // An unused @ts-expect-error is itself an error, so every wrong line must really be wrong.
    const output = (() => {
      try {
        return execFileSync(process.execPath, args, { cwd: repoRoot, encoding: "utf8" });
      } catch (error) {
        return String((error as { stdout?: string }).stdout ?? error);
      }
    })();
    expect(output).toBe("");
  }, 120_000);
});
