// Runs the real CLI in a child process: it proves how start-up fails (exit code, message, no stack trace).
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { cliArgs } from "../helpers/cli.js";
import { configDir as dir, configFile, withPool } from "../helpers/config.js";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");

// Each test spawns the CLI (node start-up, seconds on a busy machine).
describe("the CLI", { timeout: 30_000 }, () => {
  async function serve(args: string[], env: Record<string, string> = {}) {
    try {
      await run(process.execPath, await cliArgs(["serve", ...args]), {
        cwd: repoRoot,
        env: { PATH: process.env["PATH"] ?? "", ...env },
        timeout: 20_000,
      });
      throw new Error("expected the CLI to exit with an error");
    } catch (error) {
      return error as { code: number; stdout: string; stderr: string };
    }
  }

  it("exits 1 with the field named and no stack trace on a bad config file", async () => {
    const file = configFile(withPool({ limits: { maxRecords: -1 } }));
    const result = await serve(["--config", file, "--port", "0", "--data-dir", join(dir, "cli-data")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`config file ${file}: pools[0].limits.maxRecords: expected a positive integer`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("exits 1 naming a bad environment variable", async () => {
    const result = await serve([], { PORT: "not-a-port" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("environment variable PORT: expected an integer from 0 to 65535");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
