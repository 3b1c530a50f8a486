/**
 * Measures the breached-password lookup (`server/user-pool/breached-passwords.ts`) on a generated
 * sorted SHA-1 file of HIBP's shape: builds the file (once, in the OS temp directory), then times
 * lookups of listed and unlisted hashes and reports the process's memory. Run:
 *
 *   npx tsx bench/breached-lookup.ts [lines, default 10000000]
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openBreachedPasswordList } from "../server/user-pool/breached-passwords.js";

const lines = Number(process.argv[2] ?? 10_000_000);
const file = join(tmpdir(), `syncpool-breached-bench-${lines}.txt`);
const SPACE = 1n << 160n;
const step = SPACE / BigInt(lines);
/** The i-th listed hash: evenly spread, so the file is sorted by construction. */
const listedHash = (index: number) => (BigInt(index) * step).toString(16).toUpperCase().padStart(40, "0");

if (!existsSync(file)) {
  const out = createWriteStream(file);
  for (let index = 0; index < lines; index++) {
    if (!out.write(`${listedHash(index)}:${1 + (index % 1000)}\r\n`)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

const list = await openBreachedPasswordList(file);
const rounds = 20_000;
const started = performance.now();
let found = 0;
for (let round = 0; round < rounds; round++) {
  const hash = round % 2 === 0 ? listedHash(Math.floor(Math.random() * lines)) : randomBytes(20).toString("hex");
  if ((await list.count(hash)) > 0) found++;
}
const elapsedMs = performance.now() - started;
await list.close();
console.log(JSON.stringify({
  lines,
  fileBytes: statSync(file).size,
  lookups: rounds,
  found,
  microsecondsPerLookup: Math.round((elapsedMs * 1000) / rounds),
  rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
}));
