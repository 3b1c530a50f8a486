/**
 * What the numbers were measured on: every result file carries these facts, and the load average
 * at start and end, because the machine may be shared with other work while a run goes on.
 */
import { readFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem, release, platform } from "node:os";

/** The machine and runtime of one run. */
export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  node: string;
  os: string;
  loadAverage1m: number;
  openFilesLimit: number | null;
}

/** Reads the facts now; `openFilesLimit` comes from the runner (`ulimit -n`), as Node has no API for it. */
export function machineFacts(openFilesLimit: number | null): MachineFacts {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? "unknown",
    cores: processors.length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    freeMemoryGiB: round(freemem() / 2 ** 30, 1),
    node: process.version,
    os: `${platform()} ${release()}`,
    loadAverage1m: round(loadavg()[0] ?? 0, 2),
    openFilesLimit,
  };
}

/** The 1-minute load average, for the note on noise. */
export function currentLoad(): number {
  return round(loadavg()[0] ?? 0, 2);
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * CPU time (user + system, all threads) process `pid` has used so far, in ms, from
 * `/proc/<pid>/stat`; NaN where there is no /proc. Ticks are USER_HZ, 100 on Linux.
 */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat(5), counted from the state field (3).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}
