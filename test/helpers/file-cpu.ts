/**
 * A vitest setup file (every project, every test file): with `SYNCPOOL_TEST_CPU_LOG=<path>`, appends
 * one tab-separated line per test file to that file: the file, the backend it ran on, the CPU
 * seconds of the test worker while the file ran, those of the child processes it started and
 * waited for (CLI servers, DataStore devices; Linux only, from /proc), and its wall seconds. The
 * browser tests' Chromium is their worker's, shared by its files and reaped when it stops, so it
 * is in no file's line, only in the whole run's CPU. On a shared machine a file's wall time says
 * mostly how busy the machine was; its CPU time says what the file costs, and their sum over the
 * suite what `npm test` costs.
 *
 *   SYNCPOOL_TEST_CPU_LOG=/tmp/cpu.tsv npm test && sort -t$'\t' -k3,3 -gr /tmp/cpu.tsv | head
 *
 * Registered first, so its end runs after every other after-hook of the file (clean-up included).
 */
import { appendFileSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";

const logPath = process.env["SYNCPOOL_TEST_CPU_LOG"];
/** As `test-backend.ts` reads it (not imported here: it loads the PostgreSQL driver). */
const backend = process.env["SYNCPOOL_TEST_BACKEND"] === "postgres" ? "postgres" : "sqlite";

/** CPU seconds of this process's reaped children (user + system), or NaN off Linux. */
function childrenCpuSeconds(): number {
  try {
    // The fields after the command name: cutime and cstime are the 14th and 15th, in clock ticks (100 a second).
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

if (logPath) {
  let start = { cpu: process.cpuUsage(), children: 0, wall: 0 };
  beforeAll(() => {
    start = { cpu: process.cpuUsage(), children: childrenCpuSeconds(), wall: performance.now() };
  });
  afterAll(() => {
    const cpu = process.cpuUsage(start.cpu);
    const file = relative(process.cwd(), expect.getState().testPath ?? "?");
    const columns = [file, backend, (cpu.user + cpu.system) / 1e6, childrenCpuSeconds() - start.children, (performance.now() - start.wall) / 1000];
    appendFileSync(logPath, `${columns.map((value) => (typeof value === "number" ? value.toFixed(2) : value)).join("\t")}\n`);
  });
}
