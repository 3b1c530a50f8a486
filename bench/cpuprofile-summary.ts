/**
 * Summarizes a `.cpuprofile` (from `node --cpu-prof`, or `npm run bench -- --cpu-prof-dir DIR`):
 * the top functions by self time, and self time grouped by where the code lives (our directories,
 * each npm package, Node internals, GC, idle).
 *
 *   npx tsx bench/cpuprofile-summary.ts bench/results/profiles/CPU.*.cpuprofile [--top 15]
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in ms per function and per area of one profile. */
export function summarizeProfile(profile: CpuProfile): { totalMs: number; functions: Map<string, number>; areas: Map<string, number> } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    totalMs += ms;
    const name = `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
    const area = areaOf(frame.url, frame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + ms);
  });
  return { totalMs, functions, areas };
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) return url.slice(modules + "node_modules/".length);
  const ours = /\/(server|core|client|bench|schema)\/(.*)$/.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url.replace(/^file:\/\//, "");
}

function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const modules = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url.slice(url.lastIndexOf("node_modules/")));
  if (modules) return modules[1]!;
  if (url.startsWith("node:")) return "node internals";
  const ours = /\/(server|core|client|bench|schema)\/([^/]+)/.exec(url);
  if (ours) return ours[2]!.includes(".") ? `${ours[1]}/` : `${ours[1]}/${ours[2]}/`;
  return url;
}

function top(map: Map<string, number>, count: number, totalMs: number): string {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => `  ${ms.toFixed(0).padStart(7)} ms ${((ms / totalMs) * 100).toFixed(1).padStart(5)}%  ${name}`)
    .join("\n");
}

const args = process.argv.slice(2);
const topIndex = args.indexOf("--top");
const count = topIndex >= 0 ? Number(args[topIndex + 1]) : 15;
const files = args.filter((arg, index) => arg.endsWith(".cpuprofile") && index !== topIndex + 1);
for (const file of files) {
  const { totalMs, functions, areas } = summarizeProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile);
  console.log(`${basename(file)}: ${(totalMs / 1000).toFixed(1)} s sampled\n by area (self time):\n${top(areas, 12, totalMs)}\n top functions (self time):\n${top(functions, count, totalMs)}\n`);
}
