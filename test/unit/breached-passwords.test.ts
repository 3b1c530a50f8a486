/**
 * The breached-password list's binary search over a sorted SHA-1 file: every listed hash is found
 * with its count (first line, last line, lines without a count, lower-case and CRLF files), and
 * hashes between them are not, on files small enough to be scanned and large enough to be searched.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openBreachedPasswordList } from "../../server/user-pool/breached-passwords.js";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function listFile(lines: string[], eol = "\n"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "syncpool-breached-"));
  dirs.push(dir);
  const file = join(dir, "pwned.txt");
  await writeFile(file, lines.join(eol) + eol);
  return file;
}

/** `size` distinct random hashes, sorted, each with a count (every third without one). */
function sortedEntries(size: number): Array<{ hash: string; count: number; line: string }> {
  const hashes = new Set<string>();
  while (hashes.size < size) hashes.add(randomBytes(20).toString("hex").toUpperCase());
  return [...hashes].sort().map((hash, index) => (index % 3 === 0 ? { hash, count: 1, line: hash } : { hash, count: index + 2, line: `${hash}:${index + 2}` }));
}

/** A hash just above `hash` (its last digit raised), not in the list unless the next entry is exactly it. */
const nextHash = (hash: string) => (BigInt(`0x${hash}`) + 1n).toString(16).toUpperCase().padStart(40, "0");

// Thousands of positioned file reads per large-file test: quick when idle, many seconds when the
// machine is busy and the thread pool waits for the disk, past vitest's 5 s default.
describe("breached-password list", { timeout: 30_000 }, () => {
  for (const [name, size, eol, lower] of [
    ["a small file (scanned)", 40, "\n", false],
    ["a large file (searched)", 20_000, "\n", false],
    ["a large lower-case CRLF file", 20_000, "\r\n", true],
  ] as const) {
    it(`finds every listed hash with its count and no other in ${name}`, async () => {
      const entries = sortedEntries(size);
      const list = await openBreachedPasswordList(await listFile(entries.map((entry) => (lower ? entry.line.toLowerCase() : entry.line)), eol));
      try {
        const listed = new Set(entries.map((entry) => entry.hash));
        const sample = size <= 100 ? entries : [entries[0]!, entries.at(-1)!, ...entries.filter((_, index) => index % 97 === 0)];
        for (const entry of sample) {
          expect(await list.count(entry.hash.toLowerCase())).toBe(entry.count);
          const between = nextHash(entry.hash);
          if (!listed.has(between)) expect(await list.count(between)).toBe(0);
        }
        expect(await list.count("0".repeat(40))).toBe(listed.has("0".repeat(40)) ? 1 : 0);
        expect(await list.count("F".repeat(40))).toBe(0);
      } finally {
        await list.close();
      }
    });
  }

  it("finds a password by the SHA-1 of its UTF-8 bytes", async () => {
    const hash = createHash("sha1").update("pässword", "utf8").digest("hex").toUpperCase();
    const list = await openBreachedPasswordList(await listFile([...sortedEntries(50).map((entry) => entry.line), `${hash}:7`].sort()));
    try {
      expect(await list.count(hash)).toBe(7);
    } finally {
      await list.close();
    }
  });

  it("refuses to open a file that is not a SHA-1 list", async () => {
    await expect(openBreachedPasswordList(await listFile(["password123", "letmein"]))).rejects.toThrow(/not a list of SHA-1 hashes/);
  });
});
